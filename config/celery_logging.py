"""Worker and beat log through Django's LOGGING (config/settings.py), not Celery's own set-up: the same
format (LOG_FORMAT) and the same ids on every line as the web process."""

import logging.config

from celery.signals import setup_logging
from django.conf import settings


@setup_logging.connect
def use_django_logging(**_):
    # Connected, this signal makes Celery leave the root logger alone.
    logging.config.dictConfig(settings.LOGGING)
