"""After every write that changes what a subtree lists, once it commits, the next recommendation
request of every category answers what the database says; on Redis, a property's write keeps the
lists cached (updated in place), only tree changes drop them.

The tree of every test:

    root1 ── a ── a1 ── a11        root2 ── c
         └── b ── b1
"""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test import override_settings

from domain.properties import recommendations
from domain.properties.models import Category, Property
from domain.properties.recommendations import (
    evict_all_recommendations,
    evict_recommendations_for_categories,
    recommended_property_ids,
    update_recommendations_for_properties,
)
from domain.properties.services import move_category, save_property_edit, set_property_availability
from tests.support.factories import CategoryFactory, PropertyFactory, create_properties
from tests.support.recommendations import expected_ids, file_cache_at, get_recommended, list_is_cached, recommended_ids

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
    return {name for name in ALL if list_is_cached(getattr(tree, name).id)}


def assert_every_list_fresh(client, tree) -> None:
    """Every category's recommendations are what the database says now."""
    for name in ALL:
        category = Category.objects.get(pk=getattr(tree, name).pk)
        assert recommended_ids(client, category.id) == expected_ids(category), name


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Runs a write as its own committed transaction: its on-commit callbacks run.

    (The test's writes all share the test's transaction; updates gather per
    transaction, so a setup write left pending would run with the next.)
    """

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


# --- properties, through signals: the lists stay cached and exact ------------


def test_creating_a_listed_property_adds_it_to_its_category_and_ancestors(api_client, tree, commit):
    warm(api_client, tree)

    created = commit(PropertyFactory, category=tree.a11)

    assert cached_names(tree) == set(ALL)
    assert recommended_ids(api_client, tree.root1.id) == [created.id]
    assert_every_list_fresh(api_client, tree)


def test_creating_an_unlisted_property_changes_no_list(api_client, tree, commit):
    warm(api_client, tree)

    commit(PropertyFactory, category=tree.a11, is_available=False)

    assert cached_names(tree) == set(ALL)
    assert recommended_ids(api_client, tree.root1.id) == []


@pytest.mark.parametrize("change", [{"is_available": False}, {"status": Property.Status.INACTIVE}])
def test_a_property_leaving_the_lists_leaves_every_ancestor(api_client, tree, commit, change):
    prop = commit(PropertyFactory, category=tree.a1)
    kept = commit(PropertyFactory, category=tree.a1)
    warm(api_client, tree)

    def save():
        for field, value in change.items():
            setattr(prop, field, value)
        prop.save()

    commit(save)

    assert cached_names(tree) == set(ALL)
    assert recommended_ids(api_client, tree.a.id) == [kept.id]
    assert_every_list_fresh(api_client, tree)


def test_a_property_coming_back_joins_every_ancestor(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.b1, is_available=False)
    warm(api_client, tree)

    def release():
        prop.is_available = True
        prop.save(update_fields=["is_available"])

    commit(release)

    assert cached_names(tree) == set(ALL)
    assert recommended_ids(api_client, tree.b.id) == [prop.id]
    assert_every_list_fresh(api_client, tree)


def test_editing_what_the_lists_do_not_hold_shows_at_once(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.a1)
    warm(api_client, tree)

    def edit():
        prop.title, prop.price = "Renamed", prop.price * 2
        prop.save()

    commit(edit)

    assert cached_names(tree) == set(ALL)
    assert get_recommended(api_client, tree.a.id).json()["results"][0]["title"] == "Renamed"


def test_a_new_created_at_moves_a_property_in_the_order(api_client, tree, commit):
    older, newer = commit(PropertyFactory, category=tree.a1), commit(PropertyFactory, category=tree.a1)
    warm(api_client, tree)

    def backdate_newer():
        newer.created_at = older.created_at.replace(year=older.created_at.year - 1)
        newer.save()

    commit(backdate_newer)

    assert recommended_ids(api_client, tree.root1.id) == [older.id, newer.id]
    assert_every_list_fresh(api_client, tree)


def test_moving_a_property_takes_it_from_the_old_ancestors_to_the_new(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.a11)
    warm(api_client, tree)

    def move():
        prop.category = tree.c
        prop.save()

    commit(move)

    assert cached_names(tree) == set(ALL)
    assert recommended_ids(api_client, tree.a.id) == []
    assert recommended_ids(api_client, tree.root2.id) == [prop.id]
    assert_every_list_fresh(api_client, tree)


def test_moving_a_property_read_from_the_database_leaves_the_old_ancestors(api_client, tree, commit):
    prop_id = commit(PropertyFactory, category=tree.a11).id
    warm(api_client, tree)

    def move():
        prop = Property.objects.get(pk=prop_id)
        prop.category_id = tree.b1.id
        prop.save()

    commit(move)

    assert recommended_ids(api_client, tree.a.id) == []
    assert recommended_ids(api_client, tree.b.id) == [prop_id]
    assert_every_list_fresh(api_client, tree)


def test_deleting_a_property_leaves_its_ancestors(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.c)
    warm(api_client, tree)

    commit(prop.delete)

    assert cached_names(tree) == set(ALL)
    assert recommended_ids(api_client, tree.root2.id) == []


def test_a_bulk_delete_updates_once_for_the_whole_transaction(
    api_client, tree, commit, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for category in (tree.a11, tree.b1):
        commit(PropertyFactory.create_batch, 10, category=category)
    warm(api_client, tree)

    with django_capture_on_commit_callbacks() as callbacks:
        Property.objects.filter(category=tree.a11).delete()
    with django_assert_num_queries(2):  # the rows and the ancestors, once for the ten signals
        for callback in callbacks:
            callback()

    assert recommended_ids(api_client, tree.a.id) == []
    assert len(recommended_ids(api_client, tree.root1.id)) == 10
    assert_every_list_fresh(api_client, tree)


# --- categories, through signals: the lists above them are rebuilt ----------------


def test_moving_a_category_moves_its_properties_between_the_old_and_the_new_ancestors(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.a11)
    warm(api_client, tree)

    commit(move_category, category=tree.a1, parent=tree.c)

    assert recommended_ids(api_client, tree.root1.id) == []
    assert recommended_ids(api_client, tree.root2.id) == [prop.id]
    assert_every_list_fresh(api_client, tree)


def test_renaming_a_category_keeps_every_list(api_client, tree, commit):
    warm(api_client, tree)

    def rename():
        tree.a1.name = "Renamed"
        tree.a1.save()

    commit(rename)

    assert cached_names(tree) == set(ALL)


def test_deleting_a_category_makes_it_a_404_and_keeps_its_ancestors_right(api_client, tree, commit):
    deleted_id = tree.b1.id
    warm(api_client, tree)

    commit(tree.b1.delete)

    assert get_recommended(api_client, deleted_id).status_code == 404
    assert recommended_ids(api_client, tree.root1.id) == []


# --- the public functions, for writes that send no signal ---------------------


def test_an_availability_change_through_the_service_updates_the_lists_in_place(api_client, tree, commit):
    booked = commit(PropertyFactory, category=tree.a11)
    other = commit(PropertyFactory, category=tree.b1)
    warm(api_client, tree)

    commit(set_property_availability, [booked.pk], available=False)

    assert cached_names(tree) == set(ALL)
    assert recommended_ids(api_client, tree.root1.id) == [other.id]
    assert_every_list_fresh(api_client, tree)

    commit(set_property_availability, [booked.pk], available=True)

    assert recommended_ids(api_client, tree.root1.id) == [other.id, booked.id]


def test_update_for_properties_after_an_update_moving_them(api_client, tree, commit):
    moved = commit(PropertyFactory, category=tree.a11)
    warm(api_client, tree)

    def move():
        Property.objects.filter(pk=moved.pk).update(category=tree.c)
        update_recommendations_for_properties([moved.pk], previous_category_ids=[tree.a11.id])

    commit(move)

    assert recommended_ids(api_client, tree.root1.id) == []
    assert recommended_ids(api_client, tree.root2.id) == [moved.id]


def test_evict_for_categories_after_a_tree_change_without_signals(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.b1)
    warm(api_client, tree)

    def move():
        Category.objects.filter(pk=tree.b.pk).update(parent=tree.root2)
        evict_recommendations_for_categories([tree.root1.id, tree.b.id])

    commit(move)

    assert recommended_ids(api_client, tree.root1.id) == []
    assert recommended_ids(api_client, tree.root2.id) == [prop.id]
    assert_every_list_fresh(api_client, tree)


def test_evicting_through_a_cycle_in_bad_data_ends(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.a11)
    warm(api_client, tree)
    Category.objects.filter(pk=tree.root1.pk).update(parent=tree.a11)

    commit(evict_recommendations_for_categories, [tree.a1.id])
    commit(set_property_availability, [prop.pk], available=False)

    assert recommended_ids(api_client, tree.a1.id) == []
    assert recommended_ids(api_client, tree.root1.id) == []


def test_evict_all_after_a_bulk_insert_shows_every_new_property(api_client, tree, commit):
    warm(api_client, tree)

    inserted = commit(lambda: (create_properties([tree.a11, tree.c], 6), evict_all_recommendations())[0])

    assert len(recommended_ids(api_client, tree.root1.id)) == 3
    assert len(recommended_ids(api_client, tree.root2.id)) == 3
    assert len(inserted) == 6
    assert_every_list_fresh(api_client, tree)


def test_evict_all_drops_the_lists_of_deleted_categories_too(api_client, db, commit):
    gone = CategoryFactory()
    recommended_ids(api_client, gone.id)
    # Deleted without a signal: its list is left behind.
    Category.objects.filter(pk=gone.pk)._raw_delete(connection.alias)
    assert list_is_cached(gone.id)

    commit(evict_all_recommendations)

    assert not list_is_cached(gone.id)
    assert get_recommended(api_client, gone.id).status_code == 404


def test_evict_all_on_the_file_cache(api_client, tree, tmp_path, commit):
    with override_settings(CACHES=file_cache_at(tmp_path)):
        warm(api_client, tree)
        commit(evict_all_recommendations)
        assert cached_names(tree) == set()


@pytest.mark.parametrize("write", ["book", "move", "delete"])
def test_the_file_cache_recomputes_after_each_kind_of_write(api_client, tree, tmp_path, commit, write):
    prop = commit(PropertyFactory, category=tree.a11)

    def move():
        prop.category = tree.c
        prop.save()

    writes = {
        "book": lambda: set_property_availability([prop.pk], available=False),
        "move": move,
        "delete": prop.delete,
    }
    with override_settings(CACHES=file_cache_at(tmp_path)):
        warm(api_client, tree)
        commit(writes[write])
        assert recommended_ids(api_client, tree.root1.id) == []
        assert_every_list_fresh(api_client, tree)


# --- after the commit, and only then -------------------------------------------


def read_in_another_thread(category_id) -> list[int]:
    """What a concurrent request sees and caches (it sees committed rows only)."""
    result = []

    def read():
        try:
            result.append(list(recommended_property_ids(category_id)[:]))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_the_update_runs_after_the_commit_so_a_request_in_between_cannot_leave_stale_ids():
    root = CategoryFactory()
    booked = PropertyFactory(category=CategoryFactory(parent=root))
    recommended_property_ids(root.id)

    with transaction.atomic():
        set_property_availability([booked.pk], available=False)
        # Before the commit, a request still sees the property...
        assert read_in_another_thread(root.id) == [booked.pk]
        assert list(recommended_property_ids(root.id)[:]) == [booked.pk]

    # ...and the update after the commit takes it out of the cached list.
    assert list_is_cached(root.id)
    assert list(recommended_property_ids(root.id)[:]) == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_changes_no_list():
    root = CategoryFactory()
    prop = PropertyFactory(category=root)
    recommended_property_ids(root.id)

    with pytest.raises(RuntimeError), transaction.atomic():
        set_property_availability([prop.pk], available=False)
        raise RuntimeError("the booking failed")

    assert list_is_cached(root.id)
    assert list(recommended_property_ids(root.id)[:]) == [prop.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_kind", ["redis", "file"])
def test_a_booking_committed_during_a_computation_is_not_lost_by_it(monkeypatch, tmp_path, cache_kind):
    root = CategoryFactory()
    prop, kept = PropertyFactory(category=root), PropertyFactory(category=root)
    compute = recommendations.compute_recommended_rows

    def compute_then_commit_a_booking(category_id):
        rows = compute(category_id)
        # A booking commits after the read and before the list is stored.
        set_property_availability([prop.pk], available=False)
        return rows

    caches = {} if cache_kind == "redis" else {"CACHES": file_cache_at(tmp_path)}
    with override_settings(**caches):
        monkeypatch.setattr(recommendations, "compute_recommended_rows", compute_then_commit_a_booking)
        assert list(recommended_property_ids(root.id)[:]) == [kept.pk, prop.pk]
        monkeypatch.setattr(recommendations, "compute_recommended_rows", compute)

        assert list(recommended_property_ids(root.id)[:]) == [kept.pk]


def test_a_staff_edit_reactivating_a_property_freed_after_its_form_was_read_lists_it(api_client, tree, commit):
    prop = commit(PropertyFactory, category=tree.a1, status=Property.Status.INACTIVE, is_available=False)
    form_copy = Property.objects.get(pk=prop.pk)  # the edit form reads the row while a booking holds it
    commit(set_property_availability, [prop.pk], available=True)  # the booking ends meanwhile
    warm(api_client, tree)

    form_copy.status = Property.Status.ACTIVE
    commit(save_property_edit, prop=form_copy)

    assert recommended_ids(api_client, tree.a.id) == [prop.id]
    assert_every_list_fresh(api_client, tree)
