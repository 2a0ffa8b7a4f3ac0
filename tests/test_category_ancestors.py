"""A category's ancestors in one query that reads only them, whatever the tree's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from domain.properties.models import Category
from domain.properties.tree import ancestor_ids, ancestor_ids_of_each
from tests.support.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def chain(depth: int) -> list[Category]:
    categories = [CategoryFactory()]
    for _ in range(depth - 1):
        categories.append(CategoryFactory(parent=categories[-1]))
    return categories


def test_the_ancestors_of_a_leaf_are_its_chain_in_one_query_whatever_else_the_tree_holds():
    path = chain(6)
    other = chain(3)
    Category.objects.bulk_create([Category(name=f"wide {n}", slug=f"wide-{n}", parent=other[-1]) for n in range(300)])

    with CaptureQueriesContext(connection) as queries:
        found = ancestor_ids([path[-1].pk, other[1].pk])

    assert found == {category.pk for category in path} | {other[0].pk, other[1].pk}
    assert len(queries) == 1


def test_a_category_deleted_meanwhile_is_still_named():
    assert ancestor_ids([987654]) == {987654}
    assert ancestor_ids([]) == set()


def test_a_cycle_in_bad_data_ends_the_climb():
    a, b = chain(2)
    Category.objects.filter(pk=a.pk).update(parent=b)  # a -> b -> a

    assert ancestor_ids([b.pk]) == {a.pk, b.pk}


def test_the_ancestors_of_each_category_are_kept_apart_in_one_query():
    path, other = chain(4), chain(2)
    a, b = chain(2)
    Category.objects.filter(pk=a.pk).update(parent=b)  # a cycle, met from b

    with CaptureQueriesContext(connection) as queries:
        found = ancestor_ids_of_each([path[-1].pk, path[1].pk, other[-1].pk, b.pk, 987654])

    assert found == {
        path[-1].pk: {category.pk for category in path},
        path[1].pk: {path[0].pk, path[1].pk},
        other[-1].pk: {other[0].pk, other[1].pk},
        b.pk: {a.pk, b.pk},
        987654: {987654},
    }
    assert len(queries) == 1
