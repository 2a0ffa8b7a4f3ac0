import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from domain.properties.management.commands.seed_catalog import GENERATED_CATEGORY_PREFIX
from domain.properties.models import Category, Property
from tests.support.factories import BookingFactory, CategoryFactory, PropertyFactory
from tests.support.recommendations import recommended_ids

pytestmark = pytest.mark.django_db


def levels(categories) -> dict[int, int]:
    """Each of `categories`' level in its tree: 1 for a root."""
    parent_of = dict(categories.values_list("id", "parent_id"))
    found = {}
    for category_id in parent_of:
        level, ancestor = 0, category_id
        while ancestor is not None:
            ancestor, level = parent_of[ancestor], level + 1
        found[category_id] = level
    return found


def tree_depth(categories) -> int:
    """Levels on the longest root-to-leaf path among `categories`."""
    return max(levels(categories).values(), default=0)


def counts() -> tuple[int, int]:
    return Category.objects.count(), Property.objects.count()


def seed(**options):
    call_command("seed_catalog", **options, stdout=io.StringIO())


def test_the_demo_catalog_is_a_deep_tree_of_varied_properties():
    seed()

    categories, properties = counts()
    assert categories >= 10
    assert 30 <= properties <= 60
    assert tree_depth(Category.objects.all()) >= 3
    assert Category.objects.get(slug="beachfront-villas").parent.parent.name == "Residential"
    assert Property.objects.values("location").distinct().count() >= 10
    assert Property.objects.values("price").distinct().count() >= 30
    assert Property.objects.values("category").distinct().count() >= 8
    assert Property.objects.filter(status=Property.Status.INACTIVE).exists()
    assert all(len(amenities) >= 3 for amenities in Property.objects.values_list("amenities", flat=True))


def test_seeding_the_demo_twice_changes_nothing():
    seed()
    first = counts()
    slugs = set(Property.objects.values_list("slug", flat=True))

    seed()

    assert counts() == first
    assert set(Property.objects.values_list("slug", flat=True)) == slugs


def test_the_demo_seed_keeps_what_is_already_there():
    mine = PropertyFactory(title="My Own Villa")

    seed()

    assert Property.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize("categories, depth, properties", [(7, 3, 25), (5, 5, 0), (1, 1, 3)])
def test_the_generated_catalog_has_exactly_the_sizes_asked(categories, depth, properties):
    seed(categories=categories, depth=depth, properties=properties)

    assert counts() == (categories, properties)
    assert tree_depth(Category.objects.all()) == depth
    # No branch stops short: every leaf is on the deepest level.
    leaves = Category.objects.filter(children__isnull=True).values_list("id", flat=True)
    assert {levels(Category.objects.all())[leaf] for leaf in leaves} == {depth}


def test_generated_properties_are_spread_over_the_categories():
    seed(categories=6, depth=2, properties=30)

    per_category = Category.objects.annotate(properties_count=Count("properties"))
    assert list(per_category.values_list("properties_count", flat=True)) == [5] * 6
    assert len(set(Property.objects.values_list("slug", flat=True))) == 30


def test_generated_descriptions_are_a_few_hundred_characters_of_varied_words():
    seed(categories=2, depth=1, properties=200)

    descriptions = list(Property.objects.values_list("description", flat=True))
    assert all(200 <= len(description) <= 600 for description in descriptions)
    assert len(set(descriptions)) == 200
    words = {word for description in descriptions for word in description.lower().split()}
    assert len(words) >= 200


def test_generating_the_same_size_again_changes_nothing():
    seed(categories=6, depth=3, properties=40)
    ids = set(Property.objects.values_list("id", flat=True))

    seed(categories=6, depth=3, properties=40)

    assert set(Property.objects.values_list("id", flat=True)) == ids


def test_generating_another_size_replaces_the_generated_catalog_only():
    seed()
    demo = counts()

    seed(categories=6, depth=3, properties=40)
    seed(categories=4, depth=2, properties=10)

    assert counts() == (demo[0] + 4, demo[1] + 10)
    assert tree_depth(Category.objects.filter(slug__startswith=GENERATED_CATEGORY_PREFIX)) == 2


def test_a_generated_catalog_in_use_is_not_replaced():
    seed(categories=2, depth=1, properties=2)
    BookingFactory(property=Property.objects.first())

    with pytest.raises(CommandError, match="in use"):
        seed(categories=3, depth=1, properties=2)

    assert counts() == (2, 2)


def test_generating_drops_every_cached_recommendation_list(api_client, django_capture_on_commit_callbacks):
    category = CategoryFactory()
    prop = PropertyFactory(category=category)
    assert recommended_ids(api_client, category.id) == [prop.id]
    # A write that sends no signal leaves the cached list stale...
    Property.objects.filter(pk=prop.pk).update(is_available=False)
    assert recommended_ids(api_client, category.id) == [prop.id]

    with django_capture_on_commit_callbacks(execute=True):
        seed(categories=3, depth=2, properties=5)

    # ...until seeding drops every list.
    assert recommended_ids(api_client, category.id) == []


@pytest.mark.parametrize(
    "options",
    [
        {"categories": 3},
        {"categories": 3, "depth": 2},
        {"categories": 2, "depth": 3, "properties": 1},
        {"categories": 3, "depth": 0, "properties": 1},
        {"categories": 3, "depth": 2, "properties": -1},
    ],
)
def test_bad_sizes_are_refused(options):
    with pytest.raises(CommandError):
        seed(**options)

    assert counts() == (0, 0)
