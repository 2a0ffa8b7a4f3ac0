from domain.jobs.runs import TRANSIENT_DATABASE_ERRORS

RETRY_TRANSIENT_DATABASE_ERRORS = {
    "autoretry_for": TRANSIENT_DATABASE_ERRORS,
    # 1, 2, 4, 8, 16 s: a database failover of half a minute is ridden out.
    "retry_backoff": True,
    "retry_jitter": False,
    "max_retries": 5,
}
