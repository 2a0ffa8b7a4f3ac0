"""The API's rate limits: DRF's throttles, each client's sliding window checked and recorded in Redis
by one script.

DRF's own throttles read a client's history from the cache and write it back
(two round trips): requests that arrive together all read the history
before any of them wrote it, and all pass (20 logins at once passed a
limit of 2). Here the window is a sorted set of the request times, under
the key DRF would use, trimmed, counted and added to atomically, in one
round trip, on Redis's clock (web processes on several hosts agree on it).

Where the cache is not Redis (the embedded stack: one process) DRF's own
counting is kept. Where Redis does not answer, the request passes, as
it does with DRF's throttles over a cache that ignores its errors.
"""

import logging
import uuid

from redis.exceptions import RedisError
from rest_framework import throttling

from domain.cache_redis import cache_redis

logger = logging.getLogger(__name__)

# KEYS[1]: the client's window. ARGV: its length in ms, the requests it allows, a member unique to
# this request. Returns 0 when the request is allowed (and recorded), else the ms until the oldest
# request in the window leaves it. A refused request is not recorded.
_RECORD_REQUEST = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, oldest[2] + ARGV[1] - now_ms)
"""


class AtomicWindow(throttling.SimpleRateThrottle):
    """SimpleRateThrottle's window (at most `num_requests` in any `duration` seconds), kept in Redis."""

    # Set when Redis refused the request: how long until the window has room.
    refused_for_ms = 0

    def allow_request(self, request, view):
        server = cache_redis()
        if server is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            self.refused_for_ms = server.register_script(_RECORD_REQUEST)(
                keys=[self.cache.make_key(self.key)], args=[self.duration * 1000, self.num_requests, uuid.uuid4().hex]
            )
        except RedisError:
            logger.warning("could not count a request against the rate %s: let through", self.rate, exc_info=True)
            return True
        return not self.refused_for_ms

    def wait(self):
        return self.refused_for_ms / 1000 if self.refused_for_ms else super().wait()


class AnonRateThrottle(throttling.AnonRateThrottle, AtomicWindow):
    """Anonymous requests, per address, at the rate of the scope `anon`."""


class UserRateThrottle(throttling.UserRateThrottle, AtomicWindow):
    """Authenticated requests, per user, at the rate of the scope `user`. Anonymous ones are the
    anonymous rate's alone (DRF's would count them here too, per address)."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(throttling.ScopedRateThrottle, AtomicWindow):
    """Per user or address, at the rate of the view's `throttle_scope`."""
