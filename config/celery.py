import os

from celery import Celery

from . import broker_memory  # noqa: F401  (connects the worker's start-up check of the broker)
from . import celery_logging  # noqa: F401  (connects Django's logging for worker and beat)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("luxestate")
# Every CELERY_* setting in config/settings.py configures this app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tasks"], related_name=None)
