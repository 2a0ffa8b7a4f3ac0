"""GET /api/properties/recommended/: the subtree, the contract, the query budget,
concurrent misses, and a cache that is down."""

import logging
import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from domain.properties import recommendation_lists, recommendations
from domain.properties.models import Category, Property
from domain.properties.recommendation_cache import ids_key
from domain.properties.recommendations import recommended_property_ids
from tests.support.concurrency import run_at_once
from tests.support.factories import CategoryFactory, PropertyFactory, create_category_tree, create_properties
from tests.support.network import free_port
from tests.support.recommendations import (
    RECOMMENDED_URL,
    expected_ids,
    file_cache_at,
    get_recommended,
    list_is_cached,
    recommended_ids,
)
from tests.support.redis_servers import own_redis_server, redis_cache_at, redis_cli, shut_down_redis


@pytest.fixture
def deep_wide_tree(db):
    """300 categories over 8 levels; listed, inactive and booked properties
    spread over all of them, created_at spread so the order is meaningful."""
    levels = create_category_tree(300, 8)
    categories = [c for level in levels for c in level]
    create_properties(categories, 900)
    create_properties(categories[::3], 100, status=Property.Status.INACTIVE)
    create_properties(categories[1::3], 100, is_available=False)
    for offset, prop in enumerate(Property.objects.order_by("?")[:200]):
        Property.objects.filter(pk=prop.pk).update(created_at=prop.created_at.replace(year=2020 + offset % 5))
    return levels


# --- the subtree ------------------------------------------------------------


def test_subtree_matches_a_naive_recursive_walk(api_client, deep_wide_tree):
    root, middle, leaf = deep_wide_tree[0][0], deep_wide_tree[4][7], deep_wide_tree[7][-1]
    for category in (root, middle, leaf):
        expected = expected_ids(category)
        assert expected, "the fixture lists something under every probe"
        # Twice: the miss computes, the hit reads the cache; both agree with the walk.
        assert recommended_ids(api_client, category.id) == expected
        assert recommended_ids(api_client, category.id) == expected


def test_a_cycle_in_bad_data_ends(api_client, db):
    first = CategoryFactory()
    second = CategoryFactory(parent=first)
    Category.objects.filter(pk=first.pk).update(parent=second)
    prop = PropertyFactory(category=second)

    response = get_recommended(api_client, first.id)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [prop.id]


def test_only_active_and_available_properties_newest_first(api_client, db):
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    older = PropertyFactory(category=parent)
    newer = PropertyFactory(category=child)
    PropertyFactory(category=child, status=Property.Status.INACTIVE)
    PropertyFactory(category=child, is_available=False)
    PropertyFactory(category=CategoryFactory())

    body = get_recommended(api_client, parent.id).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.id, older.id]
    assert body["results"][0]["slug"] == newer.slug
    assert body["results"][0]["category"] == child.id


def test_ties_in_created_at_are_ordered_by_id_descending_on_a_hit_as_on_a_miss(api_client, db):
    category = CategoryFactory()
    props = create_properties([category], 12)
    # Two groups of equal created_at, a microsecond apart: the score must not round them together.
    first = props[0].created_at.replace(microsecond=1)
    Property.objects.filter(pk__in=[p.pk for p in props[:6]]).update(created_at=first)
    Property.objects.filter(pk__in=[p.pk for p in props[6:]]).update(created_at=first.replace(microsecond=2))
    expected = [p.pk for p in sorted(props[6:], key=lambda p: -p.pk)] + [
        p.pk for p in sorted(props[:6], key=lambda p: -p.pk)
    ]

    miss = recommended_ids(api_client, category.id)
    hit_pages = [
        row["id"]
        for page in (1, 2, 3)
        for row in get_recommended(api_client, category.id, page=page, page_size=4).json()["results"]
    ]

    assert miss == hit_pages == expected
    hit = recommended_property_ids(category.id)
    assert (hit[0], hit[-1], len(hit)) == (expected[0], expected[-1], 12)


def test_pagination_counts_from_the_cached_ids(api_client, db):
    category = CategoryFactory()
    create_properties([category], 45)

    body = get_recommended(api_client, category.id, page=3, page_size=20).json()

    assert body["count"] == 45
    assert len(body["results"]) == 5
    assert body["next"] is None and "page=2" in body["previous"]
    assert get_recommended(api_client, category.id, page=4).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"category_id": ""},
        {"category_id": "abc"},
        {"category_id": "1.5"},
        {"category_id": "99999999999999999999"},
        {"category_id": "-99999999999999999999"},
    ],
)
def test_a_missing_or_bad_category_id_is_a_400_field_error(api_client, db, params):
    response = api_client.get(RECOMMENDED_URL, params)

    assert response.status_code == 400
    assert "category_id" in response.json()


def test_an_unknown_category_is_a_404_and_leaves_no_lock(api_client, db):
    response = get_recommended(api_client, 987654321)

    assert response.status_code == 404
    assert not list_is_cached(987654321)
    # Nobody holds the build mark: the next request may build at once.
    assert recommendation_lists.begin_build(category_id=987654321) is not None


def test_the_endpoint_is_public(api_client, db):
    category = CategoryFactory()

    assert get_recommended(api_client, category.id).status_code == 200


# --- query budget -----------------------------------------------------------


@pytest.fixture
def thousand_categories_depth_8(db):
    levels = create_category_tree(1000, 8)
    create_properties([c for level in levels for c in level], 3000)
    return levels


@pytest.mark.parametrize("level", [0, 4, 7], ids=["root", "middle", "leaf"])
def test_query_budget_on_1000_categories_depth_8(
    api_client, thousand_categories_depth_8, django_assert_num_queries, level
):
    category = thousand_categories_depth_8[level][0]

    with django_assert_num_queries(3):  # the tree, the subtree's ids, the page's rows
        miss = get_recommended(api_client, category.id)
    with django_assert_num_queries(1):  # the page's rows; the count comes from the cache
        hit = get_recommended(api_client, category.id)

    assert miss.status_code == hit.status_code == 200
    assert miss.json()["count"] == hit.json()["count"] > 0
    assert list_is_cached(category.id)


def test_an_empty_subtree_on_a_hit_runs_no_query(api_client, db, django_assert_num_queries):
    category = CategoryFactory()
    get_recommended(api_client, category.id)

    with django_assert_num_queries(0):
        body = get_recommended(api_client, category.id).json()

    assert body["count"] == 0 and body["results"] == []


# --- concurrent misses ------------------------------------------------------


def count_computations(monkeypatch, delay: float) -> list[int]:
    """Spy on the database computation: the ids it was asked for, each call
    slowed down by `delay` so that concurrent requests overlap it."""
    calls = []
    compute = recommendations.compute_recommended_rows

    def counted(category_id):
        calls.append(category_id)
        time.sleep(delay)
        return compute(category_id)

    monkeypatch.setattr(recommendations, "compute_recommended_rows", counted)
    return calls


@pytest.mark.django_db(transaction=True)
def test_concurrent_misses_compute_once(monkeypatch):
    root = CategoryFactory()
    create_properties([root, CategoryFactory(parent=root)], 50)
    calls = count_computations(monkeypatch, delay=0.3)

    results = run_at_once([lambda: recommended_property_ids(root.id)] * 8, timeout=30)

    assert not any(isinstance(result, BaseException) for result in results), results
    assert calls == [root.id]
    # The others read the list the first one stored (a slice reads a cached list).
    listed = [list(result[:]) for result in results]
    assert all(ids == listed[0] for ids in listed) and len(listed[0]) == 50


@pytest.mark.django_db(transaction=True)
def test_a_stuck_lock_holder_delays_others_only_briefly(monkeypatch):
    category = CategoryFactory()
    PropertyFactory(category=category)
    monkeypatch.setattr(recommendations, "LOCK_WAIT", 0.2)
    # The build mark of a request that died.
    assert recommendation_lists.begin_build(category_id=category.id) is not None

    started = time.monotonic()
    ids = recommended_property_ids(category.id)

    assert 0.2 <= time.monotonic() - started < 1.5
    assert len(ids) == 1
    # Only the holder of the build mark stores the list.
    assert not list_is_cached(category.id)


# --- cache down -------------------------------------------------------------


@pytest.mark.django_db
def test_unreachable_redis_answers_from_the_database(api_client, monkeypatch, caplog):
    category = CategoryFactory()
    listed = PropertyFactory(category=CategoryFactory(parent=category))
    calls = count_computations(monkeypatch, delay=0)

    with override_settings(CACHES=redis_cache_at(free_port())), caplog.at_level(logging.ERROR):
        assert cache.add("probe", 1) is None  # what django-redis answers when Redis is down
        started = time.monotonic()
        first = get_recommended(api_client, category.id)
        Property.objects.filter(pk=listed.pk).update(is_available=False)
        second = get_recommended(api_client, category.id)
        elapsed = time.monotonic() - started

    assert [row["id"] for row in first.json()["results"]] == [listed.id]
    assert second.status_code == 200 and second.json()["count"] == 0
    assert calls == [category.id, category.id]
    assert elapsed < recommendations.LOCK_WAIT  # nobody waited on a lock nobody can hold
    assert "answering from the database" in caplog.text


@pytest.fixture
def own_redis():
    with own_redis_server() as port:
        yield port


@pytest.mark.django_db
def test_redis_stopped_mid_test_answers_from_the_database(api_client, own_redis, caplog):
    port = own_redis
    category = CategoryFactory()
    listed = PropertyFactory(category=category)

    with override_settings(CACHES=redis_cache_at(port)), caplog.at_level(logging.ERROR):
        assert get_recommended(api_client, category.id).json()["count"] == 1
        assert list_is_cached(category.id)

        shut_down_redis(port)
        Property.objects.filter(pk=listed.pk).update(is_available=False)
        fresh = PropertyFactory(category=category)
        started = time.monotonic()
        response = get_recommended(api_client, category.id)
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [fresh.id]
    assert elapsed < recommendations.LOCK_WAIT
    assert "answering from the database" in caplog.text


@pytest.mark.django_db
def test_the_file_cache_of_the_embedded_stack_works_too(api_client, tmp_path, django_assert_num_queries):
    category = CategoryFactory()
    listed = PropertyFactory(category=category)

    with override_settings(CACHES=file_cache_at(tmp_path)):
        get_recommended(api_client, category.id)
        with django_assert_num_queries(1):
            hit = get_recommended(api_client, category.id)
        assert cache.get(ids_key(category.id)) == [listed.id]

    assert [row["id"] for row in hit.json()["results"]] == [listed.id]


@pytest.mark.django_db
def test_a_page_read_refused_by_redis_after_the_count_answers_from_the_database(api_client, own_redis, caplog):
    port = own_redis
    category = CategoryFactory()
    listed = PropertyFactory(category=category)

    with override_settings(CACHES=redis_cache_at(port)), caplog.at_level(logging.ERROR):
        assert get_recommended(api_client, category.id).json()["count"] == 1
        assert list_is_cached(category.id)
        # The count still answers, the page's read fails: Redis failing between the two round trips.
        redis_cli(port, "ACL", "SETUSER", "default", "-zrevrange")

        response = get_recommended(api_client, category.id)

    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [listed.id]
