"""The default cache's own Redis client, for what Django's cache API cannot do: scripts, sorted sets,
pub/sub. The embedded stack's cache is a file cache: there it is None, and each caller says what it
does instead."""

from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from redis import Redis


def cache_redis() -> Redis | None:
    """django-redis's client of the default cache, or None when that cache is not Redis."""
    if not isinstance(caches["default"], RedisCache):
        return None
    return get_redis_connection("default")
