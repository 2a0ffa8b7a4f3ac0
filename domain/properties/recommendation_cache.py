"""The recommendation lists on a cache without sorted sets (the embedded stack's file cache):
evicted on every write and recomputed on the next miss.

The ordered ids of a subtree are one value under one key per category asked
for; a write evicts its categories' keys and their ancestors' keys after it
commits.
"""

import time
import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache

# Bump the version when the cached value changes meaning: old keys are then never read.
KEY_PREFIX = "recommendations:v1"
# A backstop only: evictions keep the lists fresh, this bounds a missed one.
IDS_TIMEOUT = 10 * 60
# Longer than computing the largest subtree takes.
LOCK_TIMEOUT = 10


def ids_key(category_id: int) -> str:
    return f"{KEY_PREFIX}:ids:{category_id}"


def lock_key(category_id: int) -> str:
    return f"{KEY_PREFIX}:lock:{category_id}"


def cached_ids(*, category_id: int, compute: Callable[[], list[int]], wait: float, poll: float) -> list[int]:
    """The cached ids of `category_id`, else `compute()`d and cached.

    Concurrent misses compute once: the request that adds the lock key
    computes, the others poll for its value for up to `wait` seconds. A cache
    that is down answers None to `cache.add`, and then nobody waits.
    """
    key, lock = ids_key(category_id), lock_key(category_id)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while True:
        ids = cache.get(key)
        if ids is not None:
            return ids
        locked = cache.add(lock, token, LOCK_TIMEOUT)
        if locked is not False or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    try:
        ids = compute()
    except Exception:
        if locked:
            cache.delete(lock)
        raise
    if locked:
        _store_unless_evicted(key, lock, token, ids)
    return ids


def _store_unless_evicted(key: str, lock: str, token: str, ids: list[int]) -> None:
    """Cache `ids` unless an eviction ran since the lock was taken.

    An eviction deletes the lock with the value. The lock is checked after
    the value is written, so an eviction at any moment after our database read
    began either deletes the value itself or is seen here and undone. The
    lock is otherwise left to expire: deleting it would let a waiter that just
    missed the value take it and compute a second time.
    """
    cache.set(key, ids, IDS_TIMEOUT)
    if cache.get(lock) != token:
        cache.delete(key)


def evict(category_ids: Iterable[int]) -> None:
    # Locks before values: on a cache that deletes one key at a time, a
    # computation that writes its value in between still finds its lock gone.
    category_ids = list(category_ids)
    cache.delete_many([lock_key(c) for c in category_ids] + [ids_key(c) for c in category_ids])
