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
"""

from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError
from redis.retry import Retry

from .breaker import Breaker

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
        except self._supported_errors:
            breaker.trip()
            raise
