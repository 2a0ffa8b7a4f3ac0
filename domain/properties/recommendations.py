"""Recommendations: the ACTIVE, available properties of a category's whole subtree, newest first.

One interface, two ways of keeping the lists, chosen by the cache backend:

- Redis (django-redis): one sorted set per cached subtree, kept exact in
  place after each write commits (recommendation_lists.py, which states the
  races and how each ends). A hit reads the count and the page's ids from
  Redis, whatever the subtree's size; a miss reads the tree and the ids (two
  queries) and builds the list for later hits.
- Any other cache (the embedded stack's file cache): the ordered ids under
  one key per subtree, evicted on every write and recomputed on the next
  miss (recommendation_cache.py).

Every write that changes which properties a subtree lists calls, before its
transaction commits, `update_recommendations_for_properties` (a property
listed, unlisted, moved or deleted) or `evict_recommendations_for_categories`
(the tree changed); the work runs after the commit, or a request in between
would read the old rows again. The signals in signals.py do it for model
saves and deletes; bulk writers (`update()`, `bulk_create()`, seeds) call
these functions themselves. Redis down is a miss answered from the database.
"""

import logging
import threading
import time
from collections.abc import Iterable, Sequence

from django.db import transaction
from redis.exceptions import RedisError

from domain.cache_redis import cache_redis
from domain.errors import DomainError, ErrorCode

from . import recommendation_cache, recommendation_lists
from .epoch import EpochMicroseconds
from .models import Category, Property
from .selectors import property_list
from .tree import ancestor_ids, ancestor_ids_of_each, category_subtree_ids

logger = logging.getLogger(__name__)

# How long a request waits for another one's computation before doing its own.
LOCK_WAIT = 2.0
LOCK_POLL_INTERVAL = 0.02
# Reads of an update's rows and tree, when tree changes keep landing between the read and the write.
UPDATE_ATTEMPTS = 3


def compute_recommended_rows(category_id: int) -> list[tuple[int, int]]:
    """(id, created_at in microseconds since the epoch), newest first, of the ACTIVE and available
    properties under `category_id` (itself included), from the database: two queries.

    Raises DomainError(CATEGORY_NOT_FOUND) for an unknown category.
    """
    subtree = category_subtree_ids(category_id)
    if not subtree:
        raise DomainError(ErrorCode.CATEGORY_NOT_FOUND, "Category not found.")
    return list(
        Property.objects.filter(category_id__in=subtree, status=Property.Status.ACTIVE, is_available=True)
        .order_by("-created_at", "-id")
        # Computed by the database: parsing 100,000 timestamps in Python costs more than the query.
        .values_list("id", EpochMicroseconds("created_at"))
    )


def recommended_property_ids(category_id: int) -> Sequence[int]:
    """The ids, newest first, of the properties recommended under `category_id`: a sequence to
    paginate (its length is the count; a slice reads only its ids).

    Raises DomainError(CATEGORY_NOT_FOUND) for an unknown category.
    """
    if cache_redis() is not None:
        return _from_redis(category_id)
    return recommendation_cache.cached_ids(
        category_id=category_id,
        wait=LOCK_WAIT,
        poll=LOCK_POLL_INTERVAL,
        compute=lambda: [property_id for property_id, _ in compute_recommended_rows(category_id)],
    )


def _from_redis(category_id: int) -> Sequence[int]:
    """A hit, else the rows from the database, stored by the one request that marked the build.

    A request that finds another one building polls for its list for up to
    LOCK_WAIT, then computes without storing.
    """

    def from_database() -> list[int]:
        return [property_id for property_id, _ in compute_recommended_rows(category_id)]

    token = None
    deadline = time.monotonic() + LOCK_WAIT
    try:
        # A list whose update failed here is dropped before it is read here: else, once Redis answers
        # again, this process would serve it stale until the retry's next attempt (up to a minute away).
        recommendation_lists.drop_failed_drops()
        while True:
            hit = recommendation_lists.cached_list(category_id=category_id, fallback=from_database)
            if hit is not None:
                return hit
            token = recommendation_lists.begin_build(category_id=category_id)
            if token or time.monotonic() >= deadline:
                break
            time.sleep(LOCK_POLL_INTERVAL)
    except RedisError:
        logger.error("recommendations: Redis failed, answering from the database", exc_info=True)
        return from_database()
    try:
        rows = compute_recommended_rows(category_id)
    except Exception:
        if token:
            _abandon_quietly(category_id, token)
        raise
    if token:
        try:
            recommendation_lists.store_build(category_id=category_id, token=token, rows=rows)
        except RedisError:
            logger.warning("recommendations: storing a list failed", exc_info=True)
    return [property_id for property_id, _ in rows]


def _abandon_quietly(category_id: int, token: str) -> None:
    try:
        recommendation_lists.abandon_build(category_id=category_id, token=token)
    except RedisError:
        logger.warning("recommendations: dropping a build mark failed; it expires", exc_info=True)


def properties_in_order(property_ids: list[int]) -> list[Property]:
    """The properties of `property_ids`, in that order, in one query, read as the property list reads them."""
    if not property_ids:
        return []
    by_id = property_list().in_bulk(property_ids)
    return [by_id[property_id] for property_id in property_ids if property_id in by_id]


def update_recommendations_for_properties(
    property_ids: Iterable[int], *, previous_category_ids: Iterable[int] = ()
) -> None:
    """After the transaction commits, put each of `property_ids` where its committed row says in the
    lists of its category and all its ancestors (listed or not; a deleted row: in none).

    `previous_category_ids`: categories the properties were in before this
    transaction (a move, a delete), whose lists may still hold them.
    """
    property_ids = set(property_ids)
    if property_ids:
        _pending.property_ids |= property_ids
        _pending.previous_category_ids |= {c for c in previous_category_ids if c is not None}
        transaction.on_commit(_run_pending, robust=True)


def evict_recommendations_for_categories(category_ids: Iterable[int]) -> None:
    """After the transaction commits, drop the lists of `category_ids` and of all their ancestors
    (one query): for a tree change. The ancestors are those of the committed
    tree: for a category that moved, pass its old parent as well."""
    category_ids = {category_id for category_id in category_ids if category_id is not None}
    if category_ids:
        _pending.evicted_category_ids |= category_ids
        transaction.on_commit(_run_pending, robust=True)


def evict_all_recommendations() -> None:
    """After the transaction commits, drop every list: for bulk writes such as seeding the catalog."""
    transaction.on_commit(_drop_all, robust=True)


class _Pending(threading.local):
    """What this thread's transaction updates and evicts once it commits.

    A transaction that deletes a thousand properties sends a thousand
    signals: their ids gather here, and the first of their callbacks to run
    handles them all in a few queries; the others find nothing left. Every
    write registers a callback of its own, because rolling back a savepoint
    discards the callbacks registered in it. Ids of a write rolled back stay
    until the next run in this thread: one needless update of a property to
    the state it has, never a missed one.
    """

    def __init__(self):
        self.property_ids: set[int] = set()
        self.previous_category_ids: set[int] = set()
        self.evicted_category_ids: set[int] = set()


_pending = _Pending()


def _run_pending() -> None:
    property_ids, previous, evicted = (
        _pending.property_ids,
        _pending.previous_category_ids,
        _pending.evicted_category_ids,
    )
    if not (property_ids or evicted):
        return
    _pending.property_ids, _pending.previous_category_ids, _pending.evicted_category_ids = set(), set(), set()
    if cache_redis() is not None:
        if evicted:
            recommendation_lists.drop_lists_retrying(ancestor_ids(evicted))
        if property_ids:
            _update_lists(sorted(property_ids), previous)
        return
    if property_ids:
        evicted |= previous | set(Property.objects.filter(id__in=property_ids).values_list("category_id", flat=True))
    recommendation_cache.evict(ancestor_ids(evicted))


def _update_lists(property_ids: list[int], previous: set[int]) -> None:
    """Two queries (the rows, their categories' ancestors) and two Redis round trips, whatever the
    catalog's size, once more for each tree change that lands meanwhile (up to UPDATE_ATTEMPTS); on a
    Redis failure, or a tree that kept changing, the lists concerned are dropped instead."""
    for _ in range(UPDATE_ATTEMPTS):
        try:
            tickets = recommendation_lists.take_tickets(property_ids)
        except RedisError:
            logger.warning("recommendations: taking tickets failed; dropping the lists", exc_info=True)
            tickets = None
        # After the tickets: the highest ticket reads the newest row, and a tree change since is seen.
        changes = _listing_changes(property_ids, previous)
        if tickets is None:
            break
        try:
            if recommendation_lists.apply_changes(changes=changes, tickets=tickets):
                return
        except RedisError:
            logger.warning("recommendations: updating the lists failed; dropping them", exc_info=True)
            break
    recommendation_lists.drop_lists_retrying(
        frozenset().union(*(change.listing | change.elsewhere for change in changes))
    )


def _listing_changes(property_ids: list[int], previous: set[int]) -> list[recommendation_lists.ListingChange]:
    """Where each of `property_ids` is listed now, read from its committed row and its category's
    ancestors (two queries)."""
    rows = list(
        Property.objects.filter(id__in=property_ids).values_list(
            "id", "category_id", "status", "is_available", EpochMicroseconds("created_at")
        )
    )
    lineage = ancestor_ids_of_each({category_id for _, category_id, *_ in rows} | previous)
    elsewhere = frozenset().union(*(lineage[category_id] for category_id in previous))
    changes = []
    for property_id, category_id, status, is_available, score in rows:
        listed = status == Property.Status.ACTIVE and is_available
        lists = frozenset(lineage[category_id])
        changes.append(
            recommendation_lists.ListingChange(
                property_id=property_id,
                score=score,
                listing=lists if listed else frozenset(),
                elsewhere=(elsewhere | lists),
            )
        )
    for property_id in set(property_ids) - {row[0] for row in rows}:  # deleted
        changes.append(
            recommendation_lists.ListingChange(
                property_id=property_id,
                score=None,
                listing=frozenset(),
                elsewhere=elsewhere,
            )
        )
    return changes


def _drop_all() -> None:
    if cache_redis() is None:
        recommendation_cache.evict(Category.objects.values_list("id", flat=True))
        return
    try:
        recommendation_lists.drop_all_lists()
    except RedisError:
        logger.error("recommendations: dropping every list failed; they expire", exc_info=True)
