"""A category never becomes its own ancestor: refused by the move service and by the admin form.

The tree of every test:  root ── a ── a1 ── a11     other
"""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from domain.errors import DomainError
from domain.properties.models import Category
from domain.properties.services import move_category
from tests.support.concurrency import row_locked, run_at_once, sessions_waiting_on_a_lock
from tests.support.factories import CategoryFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db

LOOP = "A category cannot be moved under itself or one of its descendants."


@pytest.fixture
def tree(db):
    root = CategoryFactory(name="root")
    a = CategoryFactory(name="a", parent=root)
    a1 = CategoryFactory(name="a1", parent=a)
    a11 = CategoryFactory(name="a11", parent=a1)
    return SimpleNamespace(root=root, a=a, a1=a1, a11=a11, other=CategoryFactory(name="other"))


def parent_name(category) -> str | None:
    category.refresh_from_db()
    return category.parent.name if category.parent else None


@pytest.mark.parametrize("new_parent, expected", [("other", "other"), (None, None)])
def test_a_category_moves_under_another_parent_or_to_the_top(tree, new_parent, expected):
    move_category(category=tree.a, parent=getattr(tree, new_parent) if new_parent else None)

    assert parent_name(tree.a) == expected
    assert parent_name(tree.a1) == "a"


@pytest.mark.parametrize("new_parent", ["a", "a1", "a11"])
def test_moving_a_category_under_itself_or_a_descendant_is_refused(tree, new_parent):
    with pytest.raises(DomainError) as refused:
        move_category(category=tree.a, parent=getattr(tree, new_parent))

    assert (refused.value.code, refused.value.detail) == ("category_loop", LOOP)
    assert parent_name(tree.a) == "root"


def test_a_loop_already_in_the_data_ends_the_walk(tree):
    # Bad data written behind the services' back: a1 and a11 are each other's parent.
    Category.objects.filter(pk=tree.a1.pk).update(parent=tree.a11)

    move_category(category=tree.other, parent=tree.a11)
    with pytest.raises(DomainError):
        move_category(category=tree.a1, parent=tree.a11)
    move_category(category=tree.a1, parent=tree.root)  # the repair

    assert (parent_name(tree.other), parent_name(tree.a1)) == ("a11", "root")


@pytest.mark.django_db(transaction=True)
def test_two_moves_that_would_close_a_loop_together_cannot_both_succeed():
    left, right = CategoryFactory(name="left"), CategoryFactory(name="right")

    outcomes = run_at_once(
        [lambda: move_category(category=left, parent=right), lambda: move_category(category=right, parent=left)]
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Category", "DomainError"], outcomes
    assert [parent_name(left), parent_name(right)].count(None) == 1


@pytest.mark.parametrize("new_parent", ["a", "a11"])
def test_the_admin_form_refuses_a_loop(admin_client, tree, new_parent):
    response = admin_client.post(
        reverse("admin:properties_category_change", args=[tree.a.pk]),
        {"name": "a", "slug": tree.a.slug, "parent": getattr(tree, new_parent).pk},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"parent": [LOOP]}
    assert parent_name(tree.a) == "root"


def test_the_admin_form_still_moves_a_category(admin_client, tree):
    response = admin_client.post(
        reverse("admin:properties_category_change", args=[tree.a1.pk]),
        {"name": "a1", "slug": tree.a1.slug, "parent": tree.other.pk},
    )

    assert response.status_code == 302
    assert parent_name(tree.a1) == "other"


@pytest.mark.django_db(transaction=True)
def test_two_admin_forms_that_would_close_a_loop_together_cannot_both_succeed(admin_client):
    # The first form (left under right) passes its loop check, then its write
    # waits for left's row; the second (right under left) is posted meanwhile.
    # The two must take turns, so that the second is checked against the first.
    left, right = CategoryFactory(name="left"), CategoryFactory(name="right")
    answers = {}

    def move(name, category, parent):
        staff = Client()
        staff.cookies = admin_client.cookies
        try:
            url = reverse("admin:properties_category_change", args=[category.pk])
            answers[name] = staff.post(url, {"name": category.name, "slug": category.slug, "parent": parent.pk})
        finally:
            connection.close()

    first = threading.Thread(target=move, args=("first", left, right))
    second = threading.Thread(target=move, args=("second", right, left))
    with row_locked(Category, left.pk):
        first.start()
        wait_until(lambda: sessions_waiting_on_a_lock() > 0, 1.5, "the first form to wait for the lock")
        second.start()
        # Done at once when it does not wait its turn; else waiting for the lock too.
        wait_until(lambda: not second.is_alive() or sessions_waiting_on_a_lock() > 1, 1, "the second form")
    first.join(10)
    second.join(10)

    assert sorted(response.status_code for response in answers.values()) == [200, 302]
    refused = next(response for response in answers.values() if response.status_code == 200)
    assert refused.context["adminform"].form.errors == {"parent": [LOOP]}
    assert [parent_name(left), parent_name(right)].count(None) == 1
