"""The races of the lists kept in Redis (domain/properties/recommendation_lists.py tells their
story): updates of one property out of order, many updates of one list at once, builds while
updates land, and updates whose Redis write failed."""

import logging
import threading

import pytest
from django.db import transaction
from django.test import override_settings

from domain.cache_redis import cache_redis
from domain.errors import DomainError
from domain.properties import recommendation_lists, recommendations
from domain.properties.models import Property
from domain.properties.recommendations import evict_recommendations_for_categories, recommended_property_ids
from domain.properties.services import move_category, set_property_availability
from domain.properties.tree import ancestor_ids
from tests.support.concurrency import run_at_once
from tests.support.factories import CategoryFactory, PropertyFactory, create_properties
from tests.support.recommendations import expected_ids, list_is_cached
from tests.support.redis_servers import own_redis_server, redis_cache_at, redis_cli, shut_down_redis
from tests.support.waiting import wait_until


def listed(category_id) -> list[int]:
    return list(recommended_property_ids(category_id)[:])


def toggle(property_id: int) -> None:
    """A booking or a release: under the row lock, as domain/bookings does, then committed."""
    with transaction.atomic():
        row = Property.objects.select_for_update().get(pk=property_id)
        set_property_availability([property_id], available=not row.is_available)


@pytest.fixture
def branch(transactional_db):
    """root ── middle ── leaf, ten listed properties in the leaf, the root's list cached."""
    root = CategoryFactory()
    leaf = CategoryFactory(parent=CategoryFactory(parent=root))
    props = create_properties([leaf], 10)
    listed(root.id)
    assert list_is_cached(root.id)
    return root, leaf, props


def test_an_older_update_landing_late_does_not_undo_a_newer_one(branch):
    root, leaf, props = branch
    prop = props[0]
    # An update takes its ticket and reads the row (booked), then stalls...
    Property.objects.filter(pk=prop.pk).update(is_available=False)
    late_tickets = recommendation_lists.take_tickets([prop.pk])
    late = recommendation_lists.ListingChange(
        property_id=prop.pk,
        score=None,
        listing=frozenset(),
        elsewhere=frozenset(ancestor_ids([leaf.id])),
    )
    # ...while the release commits and its own update runs...
    set_property_availability([prop.pk], available=True)
    assert prop.pk in listed(root.id)

    # ...then the stalled one lands.
    recommendation_lists.apply_changes(changes=[late], tickets=late_tickets)

    assert listed(root.id) == expected_ids(root)
    assert prop.pk in listed(root.id)


def test_bookings_and_releases_of_one_property_at_once_leave_its_final_state(branch):
    root, _, props = branch
    prop = props[0]

    results = run_at_once([lambda: [toggle(prop.pk) for _ in range(10)]] * 6)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert list_is_cached(root.id)
    assert listed(root.id) == expected_ids(root)


def test_bookings_of_many_properties_of_one_list_at_once_all_land(branch):
    root, _, props = branch

    results = run_at_once([lambda p=p: toggle(p.pk) for p in props[:8]])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert list_is_cached(root.id)
    assert listed(root.id) == [p.pk for p in sorted(props[8:], key=lambda p: (p.created_at, p.pk), reverse=True)]


def test_builds_while_bookings_land_store_the_final_state(branch):
    root, _, props = branch
    for round_ in range(3):
        evict_recommendations_for_categories([root.id])  # outside a transaction: at once
        assert not list_is_cached(root.id)

        results = run_at_once([lambda: listed(root.id)] * 3 + [lambda p=p: toggle(p.pk) for p in props])

        assert not [r for r in results if isinstance(r, BaseException)], results
        assert listed(root.id) == expected_ids(root), f"round {round_}"


def test_an_update_landing_while_a_list_is_built_is_replayed_into_it(branch):
    root, _, props = branch
    evict_recommendations_for_categories([root.id])
    token = recommendation_lists.begin_build(category_id=root.id)
    snapshot = list(recommendations.compute_recommended_rows(root.id))

    set_property_availability([props[0].pk], available=False)  # lands between the read and the store
    moved_in = PropertyFactory(category=root)  # a new one too

    assert recommendation_lists.store_build(category_id=root.id, token=token, rows=snapshot)
    assert listed(root.id) == expected_ids(root)
    assert props[0].pk not in listed(root.id) and moved_in.pk in listed(root.id)


def test_a_build_whose_list_was_dropped_meanwhile_discards_itself(branch):
    root, _, props = branch
    evict_recommendations_for_categories([root.id])
    token = recommendation_lists.begin_build(category_id=root.id)
    snapshot = list(recommendations.compute_recommended_rows(root.id))

    evict_recommendations_for_categories([root.id])  # a tree change

    assert not recommendation_lists.store_build(category_id=root.id, token=token, rows=snapshot)
    assert not list_is_cached(root.id)


def test_a_build_whose_read_failed_gives_up_its_mark_and_no_other_builds(branch):
    root, _, _ = branch
    missing = root.id + 1000
    other_build = recommendation_lists.begin_build(category_id=missing + 1)

    with pytest.raises(DomainError):
        listed(missing)  # category_not_found, after it marked the build

    assert recommendation_lists.begin_build(category_id=missing) is not None  # the mark was given up
    recommendation_lists.abandon_build(category_id=missing + 1, token="not-its-token")
    assert recommendation_lists.begin_build(category_id=missing + 1) is None  # still the other build's
    assert other_build is not None


def test_an_update_that_read_the_tree_before_a_move_committed_does_not_put_its_property_back_under_the_old_parent(
    branch, monkeypatch
):
    root, leaf, props = branch
    middle = leaf.parent
    other_root = CategoryFactory()
    prop = props[0]
    toggle(prop.pk)  # booked: in no list
    listed(middle.id), listed(other_root.id)
    read_lineage = recommendations.ancestor_ids_of_each
    moved = []

    def lineage_then_a_move(category_ids):
        lineage = read_lineage(category_ids)
        if not moved:  # the leaf moves, and the lists it left are built again, before this update lands
            moved.append(run_at_once([lambda: move_category(category=leaf, parent=other_root)]))
            assert prop.pk not in listed(middle.id) and prop.pk in listed(other_root.id)
        return lineage

    monkeypatch.setattr(recommendations, "ancestor_ids_of_each", lineage_then_a_move)
    toggle(prop.pk)  # released: its update read the leaf under `middle`

    assert moved == [[leaf]]
    assert prop.pk not in listed(middle.id) and prop.pk not in listed(root.id)
    assert prop.pk in listed(other_root.id)
    for category in (root, middle, other_root):
        assert listed(category.id) == expected_ids(category)


def test_an_update_that_tree_changes_beat_at_every_attempt_drops_the_lists_it_read(branch, monkeypatch):
    root, leaf, props = branch
    prop = props[0]
    toggle(prop.pk)  # booked: in no list
    # Moves elsewhere in the tree: they drop none of the lists the update must change.
    elsewhere, first_home, second_home = CategoryFactory(), CategoryFactory(), CategoryFactory()
    homes = [first_home, second_home] * recommendations.UPDATE_ATTEMPTS
    read_lineage = recommendations.ancestor_ids_of_each

    def lineage_then_a_move(category_ids):
        lineage = read_lineage(category_ids)
        run_at_once([lambda: move_category(category=elsewhere, parent=homes.pop())])
        return lineage

    listed(leaf.parent.id), listed(leaf.id)
    assert all(list_is_cached(category.id) for category in (root, leaf.parent, leaf))
    monkeypatch.setattr(recommendations, "ancestor_ids_of_each", lineage_then_a_move)
    toggle(prop.pk)  # released: every attempt of its update is beaten by a move

    assert len(homes) == recommendations.UPDATE_ATTEMPTS
    for category in (root, leaf.parent, leaf):
        assert prop.pk in listed(category.id)
        assert listed(category.id) == expected_ids(category)


# --- failed writes, on a redis-server of the test's own -------------------------------


@pytest.fixture
def own_redis_branch(branch):
    root, leaf, props = branch
    with own_redis_server() as port, override_settings(CACHES=redis_cache_at(port)):
        listed(root.id)
        assert list_is_cached(root.id)
        yield port, root, props


def test_an_update_refused_by_redis_drops_the_list_so_the_next_read_is_fresh(own_redis_branch, caplog):
    port, root, props = own_redis_branch
    redis_cli(port, "ACL", "SETUSER", "default", "-hset")  # the update script fails; deleting works

    with caplog.at_level(logging.WARNING):
        set_property_availability([props[0].pk], available=False)

    assert "updating the lists failed" in caplog.text
    assert not list_is_cached(root.id)
    redis_cli(port, "ACL", "SETUSER", "default", "+@all")
    assert listed(root.id) == expected_ids(root)


def test_a_drop_that_fails_too_is_retried_until_redis_accepts_it(own_redis_branch, monkeypatch):
    port, root, props = own_redis_branch
    monkeypatch.setattr(recommendation_lists, "DROP_RETRY_DELAYS", (0.2,) * 20)
    redis_cli(port, "ACL", "SETUSER", "default", "-hincrby", "-del")  # neither the update nor the drop

    for prop in props[:5]:
        set_property_availability([prop.pk], available=False)
    assert list_is_cached(root.id)  # stale, for now
    # The failed drops wait together, in one thread.
    assert [t.name for t in threading.enumerate()].count("recommendation-drops") == 1

    redis_cli(port, "ACL", "SETUSER", "default", "+@all")
    wait_until(lambda: not list_is_cached(root.id), 5, "the retried drop")
    assert listed(root.id) == expected_ids(root)


def test_a_booking_while_redis_is_down_commits_and_reads_come_from_the_database(own_redis_branch):
    port, root, props = own_redis_branch
    shut_down_redis(port)

    set_property_availability([props[0].pk], available=False)

    assert listed(root.id) == expected_ids(root)
    assert props[0].pk not in listed(root.id)


def test_a_stored_list_outlives_its_complete_mark(branch):
    root, _, _ = branch
    connection = cache_redis()
    ready, ids, _ = recommendation_lists._keys(root.id)

    # Were the list to expire first, the mark would serve it as empty.
    assert connection.pttl(ids) > connection.pttl(ready) > 0


def test_updates_after_the_tickets_were_evicted_but_not_the_applied_states_still_land(branch):
    root, _, props = branch
    prop = props[0]
    toggle(prop.pk)  # booked
    toggle(prop.pk)  # released: the newest state applied is its second ticket's
    # The cache's Redis evicts keys (allkeys-lru in deploy/docker-compose.yml): the tickets' hash alone,
    # say, the applied states being read more lately.
    cache_redis().delete(f"{recommendation_lists.KEY_PREFIX}:tickets")

    toggle(prop.pk)  # booked again

    assert prop.pk not in listed(root.id)
    assert listed(root.id) == expected_ids(root)


def test_a_list_evicted_without_its_complete_mark_is_rebuilt_not_served_empty(branch):
    root, _, props = branch
    # The cache's Redis evicts keys (allkeys-lru in deploy/docker-compose.yml): the list, say, not its mark.
    cache_redis().delete(recommendation_lists._keys(root.id)[1])

    assert listed(root.id) == expected_ids(root)
    toggle(props[0].pk)  # an update meanwhile must not leave a partial list behind
    assert listed(root.id) == expected_ids(root)
    assert list_is_cached(root.id)
    assert listed(root.id) == expected_ids(root)
