from django.db import InterfaceError, OperationalError

# A deadlock or a lost database connection is worth another try, later; the
# record the task works on stays unfinished meanwhile, and its sweep picks it
# up if the retries run out.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_TRANSIENT_DATABASE_ERRORS = {
    "autoretry_for": TRANSIENT_DATABASE_ERRORS,
    # 1, 2, 4, 8, 16 s: a database failover of half a minute is ridden out.
    "retry_backoff": True,
    "retry_jitter": False,
    "max_retries": 5,
}
