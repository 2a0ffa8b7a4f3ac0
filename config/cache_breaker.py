"""The cache's circuit breaker: a cache that hangs costs one call its socket timeout, and the calls of
the next CACHE_BREAKER_COOLDOWN seconds nothing.

Every call to the cache's Redis (Django's cache API, the throttles' and the
recommendation lists' scripts, the long-poll's subscription, the final
notices) goes through a connection of django-redis's pool, and redis-py runs
each connect and each command of a connection through the connection's
`retry` (CACHES' CONNECTION_POOL_KWARGS): the one place that sees them all,
whatever the URL's scheme. While the breaker is open a call fails at once
with CacheSkipped, a ConnectionError, which every caller already handles as
a Redis that does not answer: a miss, a throttle that lets the request
through, a list update that drops the lists instead.

The failure that opens the breaker is logged with its traceback, and the
breaker's opening in a warning of its own; a call skipped meanwhile is one
line that ends with why (SkippedCallsInOneLine, on the log's handler), and
no error report (config/sentry.py): an outage is a few lines, not a
traceback per call.
"""

import logging

from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError
from redis.retry import Retry

from .breaker import Breaker

logger = logging.getLogger(__name__)

breaker = Breaker("CACHE_BREAKER_COOLDOWN")


class CacheSkipped(ConnectionError):
    """The call was not made: a call to the cache failed less than CACHE_BREAKER_COOLDOWN seconds ago."""


class BreakerRetry(Retry):
    """redis-py's default for a connection, no retry, behind the cache's breaker: a timeout or a failed
    connection opens it."""

    def __init__(self):
        super().__init__(NoBackoff(), 0)

    def call_with_retry(self, do, fail, *args, **kwargs):
        if breaker.is_open():
            raise CacheSkipped("not calling the cache: it failed less than CACHE_BREAKER_COOLDOWN seconds ago")
        try:
            return super().call_with_retry(do, fail, *args, **kwargs)
        except CacheSkipped:
            raise  # a connect inside this command found the breaker open: no new failure
        except self._supported_errors as error:
            breaker.trip()
            logger.warning("the cache failed; not calling it for %s s: %r", breaker.cooldown, error)
            raise


def is_skipped_call(error: BaseException | None) -> bool:
    """Whether `error` is, or was raised by, a call the open breaker skipped (django-redis raises its own
    ConnectionInterrupted from it)."""
    while error is not None:
        if isinstance(error, CacheSkipped):
            return True
        error = error.__cause__ or error.__context__
    return False


def _carries_a_skipped_call(record: logging.LogRecord) -> bool:
    return bool(record.exc_info) and is_skipped_call(record.exc_info[1])


def logs_a_skipped_call(record: logging.LogRecord) -> bool:
    """Whether `record` was logged with the error of a call the breaker skipped (as it was before
    SkippedCallsInOneLine dropped that error from it)."""
    return getattr(record, "cache_call_skipped", False) or _carries_a_skipped_call(record)


class SkippedCallsInOneLine(logging.Filter):
    """A log handler's filter: the line of a call the breaker skipped says why at its end instead of a
    traceback, which would only repeat the breaker's own line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _carries_a_skipped_call(record):
            record.msg, record.args = f"{record.getMessage()}: {record.exc_info[1]}", None
            record.exc_info = record.exc_text = None
            record.cache_call_skipped = True
        return True
