from django.db import InterfaceError, OperationalError

# A deadlock or a lost database connection is worth another try, later; the
# record the task works on stays unfinished meanwhile, and its sweep picks it
# up if the retries run out.
RETRY_TRANSIENT_DATABASE_ERRORS = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 30,
    "max_retries": 5,
}
