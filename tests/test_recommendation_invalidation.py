"""Every write that changes what a subtree lists evicts the keys of the changed
categories and of their ancestors, after the commit, and no other key.

The tree of every test:

    root1 ── a ── a1 ── a11        root2 ── c
         └── b ── b1
"""

import threading
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings

from domain.properties import recommendations
from domain.properties.models import Category, Property
from domain.properties.services import move_category
from domain.properties.recommendations import (
    evict_all_recommendations,
    evict_recommendations_for_categories,
    evict_recommendations_for_properties,
    ids_key,
    recommended_property_ids,
)
from tests.factories import CategoryFactory, PropertyFactory
from tests.recommendations import file_cache_at, get_recommended, recommended_ids

ALL = ("root1", "a", "a1", "a11", "b", "b1", "root2", "c")


@pytest.fixture
def tree(db):
    root1, root2 = CategoryFactory(name="root1"), CategoryFactory(name="root2")
    a, b = CategoryFactory(name="a", parent=root1), CategoryFactory(name="b", parent=root1)
    a1, b1 = CategoryFactory(name="a1", parent=a), CategoryFactory(name="b1", parent=b)
    a11, c = CategoryFactory(name="a11", parent=a1), CategoryFactory(name="c", parent=root2)
    return SimpleNamespace(root1=root1, a=a, a1=a1, a11=a11, b=b, b1=b1, root2=root2, c=c)


def warm(client, tree) -> None:
    for name in ALL:
        recommended_ids(client, getattr(tree, name).id)
    assert cached_names(tree) == set(ALL)


def cached_names(tree) -> set[str]:
    return {name for name in ALL if cache.get(ids_key(getattr(tree, name).id)) is not None}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Runs a write as its own committed transaction: its on-commit callbacks run.

    (The test's writes all share the test's transaction; evictions gather per
    transaction, so a setup write left pending would be evicted with the next.)
    """

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


def evicted_by(tree, commit, write) -> set[str]:
    """The names whose keys `write` evicts once its transaction commits."""
    commit(write)
    return set(ALL) - cached_names(tree)


# --- properties, through signals --------------------------------------------


def test_creating_a_listed_property_evicts_its_category_and_ancestors(
    api_client, tree, commit
):
    warm(api_client, tree)
    created = []

    evicted = evicted_by(tree, commit, lambda: created.append(PropertyFactory(category=tree.a11)))

    assert evicted == {"a11", "a1", "a", "root1"}
    assert recommended_ids(api_client, tree.root1.id) == [created[0].id]


def test_creating_an_unlisted_property_evicts_nothing(api_client, tree, commit):
    warm(api_client, tree)

    evicted = evicted_by(tree, commit, lambda: PropertyFactory(category=tree.a11, is_available=False))

    assert evicted == set()


@pytest.mark.parametrize("change", [{"is_available": False}, {"status": Property.Status.INACTIVE}])
def test_a_property_leaving_the_lists_evicts_its_ancestors(
    api_client, tree, commit, change
):
    prop = commit(PropertyFactory, category=tree.a1)
    warm(api_client, tree)

    def save():
        for field, value in change.items():
            setattr(prop, field, value)
        prop.save()

    assert evicted_by(tree, commit, save) == {"a1", "a", "root1"}
    assert recommended_ids(api_client, tree.a.id) == []


def test_a_property_coming_back_evicts_its_ancestors(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.b1, is_available=False)
    warm(api_client, tree)

    def release():
        prop.is_available = True
        prop.save(update_fields=["is_available"])

    assert evicted_by(tree, commit, release) == {"b1", "b", "root1"}
    assert recommended_ids(api_client, tree.b.id) == [prop.id]


def test_editing_what_the_lists_do_not_hold_evicts_nothing(
    api_client, tree, commit
):
    prop = commit(PropertyFactory, category=tree.a1)
    warm(api_client, tree)

    def edit():
        prop.title, prop.price = "Renamed", prop.price * 2
        prop.save()

    assert evicted_by(tree, commit, edit) == set()
    assert get_recommended(api_client, tree.a.id).json()["results"][0]["title"] == "Renamed"


def test_moving_a_property_evicts_the_old_and_the_new_ancestors(
    api_client, tree, commit
):
    prop = commit(PropertyFactory, category=tree.a11)
    warm(api_client, tree)

    def move():
        prop.category = tree.c
        prop.save()

    assert evicted_by(tree, commit, move) == {
        "a11", "a1", "a", "root1", "c", "root2"
    }
    assert recommended_ids(api_client, tree.a.id) == []
    assert recommended_ids(api_client, tree.root2.id) == [prop.id]


def test_moving_a_property_read_from_the_database_evicts_the_old_ancestors(
    api_client, tree, commit
):
    prop_id = commit(PropertyFactory, category=tree.a11).id
    warm(api_client, tree)

    def move():
        prop = Property.objects.get(pk=prop_id)
        prop.category_id = tree.b1.id
        prop.save()

    assert evicted_by(tree, commit, move) == {
        "a11", "a1", "a", "root1", "b1", "b"
    }
    assert recommended_ids(api_client, tree.a.id) == []


def test_deleting_a_property_evicts_its_ancestors(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.c)
    warm(api_client, tree)

    assert evicted_by(tree, commit, prop.delete) == {"c", "root2"}
    assert recommended_ids(api_client, tree.root2.id) == []


def test_a_bulk_delete_evicts_once_for_the_whole_transaction(
    api_client, tree, commit, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for category in (tree.a11, tree.b1):
        commit(PropertyFactory.create_batch, 10, category=category)
    warm(api_client, tree)

    with django_capture_on_commit_callbacks() as callbacks:
        Property.objects.filter(category=tree.a11).delete()
    with django_assert_num_queries(1):  # the parent map, once for the ten signals
        for callback in callbacks:
            callback()

    assert set(ALL) - cached_names(tree) == {"a11", "a1", "a", "root1"}


# --- categories, through signals --------------------------------------------


def test_moving_a_category_evicts_the_old_and_the_new_ancestors(
    api_client, tree, commit
):
    prop = commit(PropertyFactory, category=tree.a11)
    warm(api_client, tree)

    def move():
        move_category(category=tree.a1, parent=tree.c)

    # a11's own subtree did not change: its key stays.
    assert evicted_by(tree, commit, move) == {
        "a1", "a", "root1", "c", "root2"
    }
    assert recommended_ids(api_client, tree.root1.id) == []
    assert recommended_ids(api_client, tree.root2.id) == [prop.id]


def test_renaming_a_category_evicts_nothing(api_client, tree, commit):
    warm(api_client, tree)

    def rename():
        tree.a1.name = "Renamed"
        tree.a1.save()

    assert evicted_by(tree, commit, rename) == set()


def test_deleting_a_category_evicts_it_and_its_ancestors(api_client, tree, commit):
    deleted_id = tree.b1.id
    warm(api_client, tree)

    assert evicted_by(tree, commit, tree.b1.delete) == {"b1", "b", "root1"}
    assert get_recommended(api_client, deleted_id).status_code == 404


# --- the public eviction functions, for writes that send no signal ------------


def test_evict_for_properties_after_an_update(api_client, tree, commit):
    booked = commit(PropertyFactory, category=tree.a11)
    commit(PropertyFactory, category=tree.b1)
    warm(api_client, tree)

    def book():
        Property.objects.filter(pk=booked.pk).update(is_available=False)
        evict_recommendations_for_properties([booked.pk])

    assert evicted_by(tree, commit, book) == {"a11", "a1", "a", "root1"}
    assert booked.pk not in recommended_ids(api_client, tree.root1.id)


def test_evict_for_categories_evicts_them_and_their_ancestors(
    api_client, tree, commit
):
    warm(api_client, tree)

    evicted = evicted_by(tree, commit, lambda: evict_recommendations_for_categories([tree.a1.id, tree.c.id]))

    assert evicted == {"a1", "a", "root1", "c", "root2"}


def test_evicting_through_a_cycle_in_bad_data_ends(api_client, tree, commit):
    warm(api_client, tree)
    Category.objects.filter(pk=tree.root1.pk).update(parent=tree.a11)

    evicted = evicted_by(tree, commit, lambda: evict_recommendations_for_categories([tree.a1.id]))

    assert evicted == {"a1", "a", "root1", "a11"}


def test_evict_all_evicts_every_key_even_of_deleted_categories(
    api_client, tree, commit
):
    warm(api_client, tree)
    cache.set(ids_key(999_999), [1, 2, 3])

    commit(evict_all_recommendations)

    assert cached_names(tree) == set()
    assert cache.get(ids_key(999_999)) is None


def test_evict_all_on_the_file_cache(api_client, tree, tmp_path, commit):
    with override_settings(CACHES=file_cache_at(tmp_path)):
        warm(api_client, tree)
        commit(evict_all_recommendations)
        assert cached_names(tree) == set()


# --- after the commit, and only then -------------------------------------------


def read_in_another_thread(category_id) -> list[int]:
    """What a concurrent request sees and caches (it sees committed rows only)."""
    result = []

    def read():
        try:
            result.append(recommended_property_ids(category_id))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_eviction_runs_after_the_commit_so_a_request_in_between_cannot_leave_stale_ids():
    root = CategoryFactory()
    booked = PropertyFactory(category=CategoryFactory(parent=root))
    recommended_property_ids(root.id)

    with transaction.atomic():
        Property.objects.filter(pk=booked.pk).update(is_available=False)
        evict_recommendations_for_properties([booked.pk])
        # Before the commit, a request still sees the property and caches it again...
        assert read_in_another_thread(root.id) == [booked.pk]
        assert cache.get(ids_key(root.id)) == [booked.pk]

    # ...and the eviction after the commit removes what it cached.
    assert cache.get(ids_key(root.id)) is None
    assert recommended_property_ids(root.id) == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_evicts_nothing():
    root = CategoryFactory()
    prop = PropertyFactory(category=root)
    recommended_property_ids(root.id)

    with pytest.raises(RuntimeError), transaction.atomic():
        Property.objects.filter(pk=prop.pk).update(is_available=False)
        evict_recommendations_for_properties([prop.pk])
        raise RuntimeError("the booking failed")

    assert cache.get(ids_key(root.id)) == [prop.pk]


@pytest.mark.django_db(transaction=True)
def test_an_eviction_during_a_computation_is_not_undone_by_it(monkeypatch):
    root = CategoryFactory()
    prop = PropertyFactory(category=root)
    compute = recommendations.compute_recommended_property_ids

    def compute_then_commit_a_booking(category_id):
        ids = compute(category_id)
        # A booking commits after the read and before the value is written.
        Property.objects.filter(pk=prop.pk).update(is_available=False)
        evict_recommendations_for_properties([prop.pk])
        return ids

    monkeypatch.setattr(recommendations, "compute_recommended_property_ids", compute_then_commit_a_booking)
    assert recommended_property_ids(root.id) == [prop.pk]
    monkeypatch.setattr(recommendations, "compute_recommended_property_ids", compute)

    assert cache.get(ids_key(root.id)) is None
    assert recommended_property_ids(root.id) == []
