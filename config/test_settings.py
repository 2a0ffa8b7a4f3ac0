"""Settings for the test suite: the real PostgreSQL and Redis, never the embedded stack.

The cache and the broker get Redis databases of their own, so that emptying
the cache between tests never drops a queued task.
"""

import os

os.environ["READ_DOT_ENV"] = "false"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/luxestate")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
# Short, so that the test of a lock held too long takes seconds.
os.environ.setdefault("DATABASE_LOCK_TIMEOUT", "2s")
os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_test_only_stripe_secret")
os.environ.setdefault("BKASH_WEBHOOK_SECRET", "test-only-bkash-webhook-secret")

from .settings import *  # noqa: E402,F403
from .settings import CACHES, CELERY_BROKER_TRANSPORT_OPTIONS, REDIS_URL  # noqa: E402

_redis_base = REDIS_URL.rsplit("/", 1)[0]
CACHES["default"]["LOCATION"] = os.environ.get("TEST_CACHE_URL", f"{_redis_base}/15")
CELERY_BROKER_URL = os.environ.get("TEST_BROKER_URL", f"{_redis_base}/14")
# Tests that kill a worker shorten the visibility timeout of the next one;
# the restore sweep then runs every second instead of every ~100 s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 300)),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

# Hashing passwords slowly proves nothing in tests and costs seconds.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
