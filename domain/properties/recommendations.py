"""Recommendations: the ACTIVE, available properties of a category's whole subtree.

The ordered ids of those properties are cached under one key per category
asked for (the root of its subtree). A hit costs no SQL; a miss reads the tree
in one query and the ids in a second. Rows are fetched a page at a time.

Every write that changes which properties a subtree lists must evict the keys
of the changed categories and of all their ancestors, after its transaction
commits: the signals in signals.py do it for model saves and deletes, and
bulk writers (`update()`, `bulk_create()`, seeds) call the `evict_*` functions
below themselves.
"""

import threading
import time
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from domain.errors import DomainError, ErrorCode

from .models import Category, Property
from .tree import ancestor_ids, category_subtree_ids

# Bump the version when the cached value changes meaning: old keys are then never read.
KEY_PREFIX = "recommendations:v1"
# A backstop only: evictions keep the lists fresh, this bounds a missed one.
IDS_TIMEOUT = 10 * 60
# Longer than computing the largest subtree takes.
LOCK_TIMEOUT = 10
# How long a request waits for another one's computation before doing its own.
LOCK_WAIT = 2.0
LOCK_POLL_INTERVAL = 0.02


def ids_key(category_id: int) -> str:
    return f"{KEY_PREFIX}:ids:{category_id}"


def lock_key(category_id: int) -> str:
    return f"{KEY_PREFIX}:lock:{category_id}"


def compute_recommended_property_ids(category_id: int) -> list[int]:
    """The ids, newest first, of the ACTIVE and available properties under
    `category_id` (itself included), from the database: two queries.

    Raises DomainError(CATEGORY_NOT_FOUND) for an unknown category.
    """
    subtree = category_subtree_ids(category_id)
    if not subtree:
        raise DomainError(ErrorCode.CATEGORY_NOT_FOUND, "Category not found.")
    return list(
        Property.objects.filter(
            category_id__in=subtree, status=Property.Status.ACTIVE, is_available=True
        )
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
    )


def recommended_property_ids(category_id: int) -> list[int]:
    """`compute_recommended_property_ids`, cached.

    Concurrent misses compute once: the request that adds the lock key
    computes, the others poll for its value. `cache.add` answers None when
    the cache is down (django-redis with IGNORE_EXCEPTIONS), and then nobody
    waits: each request computes from the database.
    """
    key, lock = ids_key(category_id), lock_key(category_id)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        ids = cache.get(key)
        if ids is not None:
            return ids
        locked = cache.add(lock, token, LOCK_TIMEOUT)
        if locked is not False or time.monotonic() >= deadline:
            break
        time.sleep(LOCK_POLL_INTERVAL)
    try:
        ids = compute_recommended_property_ids(category_id)
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


def properties_in_order(property_ids: list[int]) -> list[Property]:
    """The properties of `property_ids`, in that order, in one query."""
    if not property_ids:
        return []
    by_id = Property.objects.in_bulk(property_ids)
    return [by_id[property_id] for property_id in property_ids if property_id in by_id]


def evict_recommendations_for_categories(category_ids: Iterable[int]) -> None:
    """After the transaction commits, evict the keys of `category_ids` and of
    all their ancestors (one query).

    After the commit, or a request in between would cache the old rows again.
    The ancestors are those of the committed tree: for a category that moved,
    pass its old parent as well.
    """
    _schedule_eviction(category_ids=category_ids)


def evict_recommendations_for_properties(property_ids: Iterable[int]) -> None:
    """After the transaction commits, evict the keys of the categories of
    `property_ids` and of all their ancestors (two queries).

    For writes that send no signal, such as `update()` of `is_available`. The
    categories are read after the commit: for a property that moved categories
    that way, call `evict_recommendations_for_categories` with the old one.
    """
    _schedule_eviction(property_ids=property_ids)


def evict_all_recommendations() -> None:
    """After the transaction commits, evict every recommendation key: for bulk
    writes such as seeding the catalog."""
    transaction.on_commit(_delete_all_keys, robust=True)


class _PendingEvictions(threading.local):
    """The ids this thread's transaction evicts once it commits.

    A transaction that deletes a thousand properties sends a thousand
    signals: their ids gather here, and the first of their callbacks to run
    evicts them all with one query; the others find nothing left. Every
    write registers a callback of its own, because rolling back a savepoint
    discards the callbacks registered in it. Ids of a write rolled back stay
    until the next eviction in this thread: one needless eviction, never a
    missed one.
    """

    def __init__(self):
        self.category_ids: set[int] = set()
        self.property_ids: set[int] = set()


_pending = _PendingEvictions()


def _schedule_eviction(category_ids: Iterable[int] = (), property_ids: Iterable[int] = ()) -> None:
    category_ids = {category_id for category_id in category_ids if category_id is not None}
    property_ids = set(property_ids)
    if category_ids or property_ids:
        _pending.category_ids |= category_ids
        _pending.property_ids |= property_ids
        transaction.on_commit(_evict_pending, robust=True)


def _evict_pending() -> None:
    category_ids, property_ids = _pending.category_ids, _pending.property_ids
    if not (category_ids or property_ids):
        return
    _pending.category_ids, _pending.property_ids = set(), set()
    if property_ids:
        category_ids |= set(
            Property.objects.filter(id__in=property_ids).values_list("category_id", flat=True)
        )
    _delete_keys(ancestor_ids(category_ids))


def _delete_keys(category_ids: Iterable[int]) -> None:
    # Locks before values: on a cache that deletes one key at a time, a
    # computation that writes its value in between still finds its lock gone.
    category_ids = list(category_ids)
    cache.delete_many([lock_key(c) for c in category_ids] + [ids_key(c) for c in category_ids])


def _delete_all_keys() -> None:
    if hasattr(cache, "delete_pattern"):
        # django-redis: every key of ours, even those of categories deleted since.
        cache.delete_pattern(f"{KEY_PREFIX}:*")
    else:
        _delete_keys(Category.objects.values_list("id", flat=True))
