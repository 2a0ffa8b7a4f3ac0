import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from . import (
    broker_memory,  # noqa: F401  (connects the worker's start-up check of the broker)
    celery_logging,  # noqa: F401  (connects Django's logging for worker and beat)
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("luxestate")
# Every CELERY_* setting in config/settings.py configures this app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tasks"], related_name=None)

# Celery's Django fixup closes every database connection before and after
# each task unless CELERY_DB_REUSE_MAX is set: a new PostgreSQL connection,
# and backend, per task. Connections are reused instead (the fixup then never
# closes them itself), under Django's own rule as for a web request: one
# older than CONN_MAX_AGE, or one that errored and no longer answers, is
# closed before and after each task.
app.conf.CELERY_DB_REUSE_MAX = 10**9


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender, **_) -> None:
    # Not for a task run in the caller's own process (apply(), the tests):
    # its connection is the caller's, maybe inside a transaction.
    if getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections  # the app is imported before Django is set up

    close_old_connections()
