import pytest
from django.db import transaction

from domain.properties.models import Category, Property
from tests.support.concurrency import run_at_once
from tests.support.factories import CategoryFactory, PropertyFactory


@pytest.mark.django_db
def test_the_same_title_gets_numbered_slugs():
    first = PropertyFactory(title="Sea View Villa")
    second = PropertyFactory(title="Sea View Villa")
    third = PropertyFactory(title="sea view  VILLA!")

    assert [first.slug, second.slug, third.slug] == ["sea-view-villa", "sea-view-villa-2", "sea-view-villa-3"]


@pytest.mark.django_db
def test_a_title_with_a_number_of_its_own():
    PropertyFactory(title="Villa 2")
    plain = PropertyFactory(title="Villa")
    again = PropertyFactory(title="Villa 2")

    assert plain.slug == "villa"
    assert again.slug == "villa-2-2"


@pytest.mark.django_db
def test_a_title_without_slug_characters_still_gets_a_slug():
    first = PropertyFactory(title="!!! ???")
    second = PropertyFactory(title="★★★")

    assert [first.slug, second.slug] == ["item", "item-2"]


@pytest.mark.django_db
def test_a_long_title_is_cut_to_fit_with_room_for_a_suffix():
    title = ("Grand " * 40)[:200]
    first, second = PropertyFactory(title=title), PropertyFactory(title=title)

    assert len(second.slug) <= Property._meta.get_field("slug").max_length
    assert first.slug.startswith("grand-grand-")
    assert second.slug == f"{first.slug}-2"


@pytest.mark.django_db
def test_a_given_slug_is_kept():
    villa = PropertyFactory(title="Sea View Villa", slug="the-sea-view")

    assert villa.slug == "the-sea-view"


@pytest.mark.django_db
def test_categories_get_slugs_from_their_names():
    first, second = CategoryFactory(name="Beachfront Villas"), CategoryFactory(name="Beachfront Villas")

    assert [first.slug, second.slug] == ["beachfront-villas", "beachfront-villas-2"]


@pytest.mark.django_db
def test_a_slug_collision_keeps_the_surrounding_transaction_usable():
    category = CategoryFactory()
    with transaction.atomic():
        PropertyFactory(title="Sea View Villa", category=category)
        # Another writer took the slug this save will pick first.
        Property.objects.filter(slug="sea-view-villa").update(slug="sea-view-villa-taken")
        Property.objects.create(title="Other", slug="sea-view-villa", price=1, category=category, location="x")
        villa = PropertyFactory(title="Sea View Villa", category=category)

    assert villa.slug == "sea-view-villa-2"
    assert Category.objects.count() == 1


THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_with_one_title_gives_distinct_slugs():
    category = CategoryFactory()
    # Each thread has its own connection, so the saves really race for the slug.
    results = run_at_once([lambda: PropertyFactory(title="Sea View Villa", category=category).slug] * THREADS)
    slugs = [result for result in results if not isinstance(result, BaseException)]
    errors = [result for result in results if isinstance(result, BaseException)]

    assert errors == []
    assert sorted(slugs) == sorted(["sea-view-villa"] + [f"sea-view-villa-{n}" for n in range(2, THREADS + 1)])
    assert Property.objects.filter(slug__startswith="sea-view-villa").count() == THREADS
