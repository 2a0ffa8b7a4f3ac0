from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from domain.properties.models import Property
from tests.support.factories import CategoryFactory, PropertyFactory, png_upload

pytestmark = pytest.mark.django_db

CATEGORIES = reverse("category-list")
PROPERTIES = reverse("property-list")
TOO_BIG = "99999999999999999999"


def detail_url(slug: str) -> str:
    return reverse("property-detail", kwargs={"slug": slug})


def listed(client, **params) -> list[str]:
    """The titles `GET properties/` answers with for `params`, in order."""
    response = client.get(PROPERTIES, {"page_size": 100, **params})
    assert response.status_code == 200, response.json()
    return [row["title"] for row in response.json()["results"]]


# --- categories ---------------------------------------------------------------


def test_categories_are_public_and_not_paginated(api_client):
    residential = CategoryFactory(name="Residential")
    villas = CategoryFactory(name="Villas", parent=residential)

    response = api_client.get(CATEGORIES)

    assert response.status_code == 200
    assert response.json() == [
        {"id": residential.id, "name": "Residential", "slug": "residential", "parent": None},
        {"id": villas.id, "name": "Villas", "slug": "villas", "parent": residential.id},
    ]


@pytest.mark.parametrize("rows", [5, 50])
def test_categories_cost_one_query_however_many(api_client, django_assert_num_queries, rows):
    CategoryFactory.create_batch(rows)

    with django_assert_num_queries(1):
        response = api_client.get(CATEGORIES)

    assert len(response.json()) == rows


# --- property list: representation and pagination ------------------------------


def test_the_list_is_public_and_shows_the_representation(api_client):
    villa = PropertyFactory(title="Sea View Villa", amenities=["pool"])

    response = api_client.get(PROPERTIES)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    row = body["results"][0]
    assert set(row) == {
        "id",
        "title",
        "slug",
        "description",
        "location",
        "price",
        "bedrooms",
        "bathrooms",
        "category",
        "amenities",
        "status",
        "is_available",
        "image_url",
        "created_at",
        "updated_at",
    }
    assert row["slug"] == "sea-view-villa"
    assert row["price"] == "1250000.00"
    assert row["category"] == villa.category_id
    assert row["amenities"] == ["pool"]
    assert row["image_url"] is None


def test_pages_of_twenty_by_default(api_client):
    PropertyFactory.create_batch(25)

    first = api_client.get(PROPERTIES).json()
    second = api_client.get(first["next"]).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/properties/") and "page=2" in first["next"]
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"] is not None
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(set(ids)) == 25


def test_page_size_is_honoured_up_to_one_hundred(api_client):
    PropertyFactory.create_batch(101)

    assert len(api_client.get(PROPERTIES, {"page_size": 7}).json()["results"]) == 7
    assert len(api_client.get(PROPERTIES, {"page_size": 500}).json()["results"]) == 100


@pytest.mark.parametrize("page", ["3", "0", "abc"])
def test_a_page_that_does_not_exist_is_404(api_client, page):
    PropertyFactory.create_batch(3)

    response = api_client.get(PROPERTIES, {"page": page, "page_size": 2})

    assert response.status_code == 404


# --- filters --------------------------------------------------------------------


def test_filter_by_category(api_client):
    villas, flats = CategoryFactory(), CategoryFactory()
    PropertyFactory(title="Villa", category=villas)
    PropertyFactory(title="Flat", category=flats)

    assert listed(api_client, category=villas.id) == ["Villa"]
    assert listed(api_client, category=flats.id + 1000) == []


def test_filter_by_status(api_client):
    PropertyFactory(title="Listed", status=Property.Status.ACTIVE)
    PropertyFactory(title="Withdrawn", status=Property.Status.INACTIVE)

    assert listed(api_client, status="ACTIVE") == ["Listed"]
    assert listed(api_client, status="INACTIVE") == ["Withdrawn"]


def test_filter_by_category_tree_takes_the_whole_subtree(api_client):
    residential = CategoryFactory(name="Residential")
    villas = CategoryFactory(name="Villas", parent=residential)
    beachfront = CategoryFactory(name="Beachfront", parent=villas)
    commercial = CategoryFactory(name="Commercial")
    PropertyFactory(title="Townhouse", category=residential)
    PropertyFactory(title="Villa", category=villas)
    PropertyFactory(title="Beach Villa", category=beachfront)
    PropertyFactory(title="Office", category=commercial)

    assert sorted(listed(api_client, category_tree=residential.id)) == ["Beach Villa", "Townhouse", "Villa"]
    assert sorted(listed(api_client, category_tree=villas.id)) == ["Beach Villa", "Villa"]
    assert listed(api_client, category_tree=beachfront.id) == ["Beach Villa"]


def test_filter_by_an_unknown_category_tree_is_empty(api_client):
    category = PropertyFactory().category

    assert listed(api_client, category_tree=category.id + 1000) == []


def test_filter_by_price_range(api_client):
    for title, price in [("Cheap", "500000.00"), ("Mid", "1000000.00"), ("Dear", "5000000.50")]:
        PropertyFactory(title=title, price=Decimal(price))

    assert sorted(listed(api_client, min_price="1000000")) == ["Dear", "Mid"]
    assert sorted(listed(api_client, max_price="1000000.00")) == ["Cheap", "Mid"]
    assert listed(api_client, min_price="600000", max_price="2000000") == ["Mid"]
    assert listed(api_client, min_price="5000000.50") == ["Dear"]


def test_filter_by_minimum_bedrooms_and_bathrooms(api_client):
    PropertyFactory(title="Studio", bedrooms=1, bathrooms=1)
    PropertyFactory(title="Family", bedrooms=4, bathrooms=2)
    PropertyFactory(title="Estate", bedrooms=8, bathrooms=6)

    assert sorted(listed(api_client, bedrooms_min=4)) == ["Estate", "Family"]
    assert listed(api_client, bathrooms_min=3) == ["Estate"]
    assert sorted(listed(api_client, bedrooms_min=0)) == ["Estate", "Family", "Studio"]


def test_filter_by_location_ignores_case(api_client):
    PropertyFactory(title="Riviera", location="Saint-Tropez, France")
    PropertyFactory(title="Desert", location="Dubai Marina")

    assert listed(api_client, location="tropez") == ["Riviera"]
    assert listed(api_client, location="MARINA") == ["Desert"]


@pytest.mark.parametrize("value, expected", [("true", ["Free"]), ("false", ["Booked"]), ("False", ["Booked"])])
def test_filter_by_availability(api_client, value, expected):
    PropertyFactory(title="Free", is_available=True)
    PropertyFactory(title="Booked", is_available=False)

    assert listed(api_client, is_available=value) == expected


def test_search_looks_in_title_description_and_location(api_client):
    PropertyFactory(title="Helipad House", description="Quiet.", location="Aspen")
    PropertyFactory(title="Cliff Villa", description="It has a HELIPAD on the roof.", location="Amalfi")
    PropertyFactory(title="Town Flat", description="Central.", location="Helipad Heights")
    PropertyFactory(title="Garden Cottage", description="Roses.", location="Kent")

    assert sorted(listed(api_client, search="helipad")) == ["Cliff Villa", "Helipad House", "Town Flat"]


def test_search_ignores_case_as_the_database_upper_cases_it(api_client):
    # Python would make "STRASSE" of "STRAßE"; the database's UPPER keeps the ß, in the term and the text alike.
    PropertyFactory(title="Haus an der Straße", location="Zürich")
    PropertyFactory(title="Château Lumière", location="Bordeaux")

    assert listed(api_client, search="STRAßE") == ["Haus an der Straße"]
    assert listed(api_client, search="zÜrich") == ["Haus an der Straße"]
    assert listed(api_client, search="CHÂTEAU lumière") == ["Château Lumière"]


def test_search_takes_wildcards_literally(api_client):
    PropertyFactory(title="Villa at 50% off", description="Quiet.")
    PropertyFactory(title="Villa at 500 off", description="Quiet.")
    PropertyFactory(title="Heated Villa", description="Its under_floor heating is new.")
    PropertyFactory(title="Zoo Villa", description="A giraffe in the hall.")

    assert listed(api_client, search="50%") == ["Villa at 50% off"]
    assert listed(api_client, search="r_f") == ["Heated Villa"]


def test_a_term_reaching_across_two_fields_is_no_match(api_client):
    PropertyFactory(title="Cliff Villa", description="Sea views.", location="Amalfi")
    PropertyFactory(title="Two Lines", description="Cliff Villa\nSea views.", location="Amalfi")

    assert listed(api_client, search="villa\nsea") == ["Two Lines"]
    assert listed(api_client, search="views.\namalfi") == []


def test_filters_combine(api_client):
    PropertyFactory(title="Match", location="Monaco", bedrooms=5, is_available=True)
    PropertyFactory(title="Too small", location="Monaco", bedrooms=2, is_available=True)
    PropertyFactory(title="Booked", location="Monaco", bedrooms=5, is_available=False)
    PropertyFactory(title="Elsewhere", location="Malibu", bedrooms=5, is_available=True)

    assert listed(api_client, location="monaco", bedrooms_min=3, is_available="true") == ["Match"]


@pytest.fixture
def three_by_price_and_age():
    """Three properties whose price order differs from their age order."""
    now = timezone.now()
    for title, price, days_old in [("Old mid", "2000000", 3), ("New cheap", "1000000", 1), ("Mid dear", "3000000", 2)]:
        created = PropertyFactory(title=title, price=Decimal(price))
        Property.objects.filter(pk=created.pk).update(created_at=now - timedelta(days=days_old))


@pytest.mark.parametrize(
    "ordering, expected",
    [
        (None, ["New cheap", "Mid dear", "Old mid"]),
        ("-created_at", ["New cheap", "Mid dear", "Old mid"]),
        ("created_at", ["Old mid", "Mid dear", "New cheap"]),
        ("price", ["New cheap", "Old mid", "Mid dear"]),
        ("-price", ["Mid dear", "Old mid", "New cheap"]),
    ],
)
def test_ordering(api_client, three_by_price_and_age, ordering, expected):
    params = {"ordering": ordering} if ordering else {}

    assert listed(api_client, **params) == expected


def test_ordering_ties_keep_pages_apart(api_client):
    PropertyFactory.create_batch(9, price=Decimal("1000000.00"))

    pages = [api_client.get(PROPERTIES, {"ordering": "price", "page_size": 3, "page": n}).json() for n in (1, 2, 3)]

    ids = [row["id"] for page in pages for row in page["results"]]
    assert len(set(ids)) == 9


@pytest.mark.parametrize(
    "param, value",
    [
        ("category", "abc"),
        ("category", TOO_BIG),
        ("category", "1.5"),
        ("status", "SOLD"),
        ("category_tree", "abc"),
        ("category_tree", TOO_BIG),
        ("category_tree", "-3"),
        ("min_price", "cheap"),
        ("min_price", "1e50"),
        ("min_price", TOO_BIG),
        ("min_price", "10.005"),
        ("max_price", "NaN"),
        ("max_price", "Infinity"),
        ("bedrooms_min", "two"),
        ("bedrooms_min", "2.5"),
        ("bedrooms_min", "-1"),
        ("bedrooms_min", TOO_BIG),
        ("bathrooms_min", "40000"),
        ("is_available", "maybe"),
        ("is_available", "yes"),
        ("location", "x" * 201),
        ("search", "x" * 201),
        ("search", "villa\x00"),
        ("location", "\x00"),
        ("ordering", "title"),
        ("ordering", "-bedrooms"),
    ],
)
def test_an_invalid_filter_value_is_400(api_client, param, value):
    PropertyFactory()

    response = api_client.get(PROPERTIES, {param: value})

    assert response.status_code == 400
    assert list(response.json()) == [param]


# --- detail -------------------------------------------------------------------


def test_detail_by_slug(api_client):
    PropertyFactory(title="Sea View Villa")
    second = PropertyFactory(title="Sea View Villa")

    response = api_client.get(detail_url("sea-view-villa-2"))

    assert response.status_code == 200
    assert response.json()["id"] == second.id
    assert response.json()["image_url"] is None


def test_detail_of_an_unknown_slug_is_404(api_client):
    PropertyFactory(title="Sea View Villa")

    assert api_client.get(detail_url("no-such-villa")).status_code == 404


def test_image_url_is_absolute(api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    villa = PropertyFactory(title="Pictured Villa", image=png_upload())

    detail = api_client.get(detail_url(villa.slug)).json()
    row = api_client.get(PROPERTIES).json()["results"][0]

    assert detail["image_url"] == f"http://testserver/media/{villa.image.name}"
    assert villa.image.name.startswith("properties/villa")
    assert row["image_url"] == detail["image_url"]
    assert (tmp_path / villa.image.name).is_file()


# --- query budget -----------------------------------------------------------------


# A page is one COUNT and one SELECT; the category tree filter adds the one
# query that reads the tree. None of them grows with the rows.
@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(
    "params, queries",
    [
        ({}, 2),
        ({"ordering": "-price", "min_price": "1", "search": "villa", "is_available": "true"}, 2),
        ({"category_tree": "root"}, 3),
    ],
    ids=["plain", "filtered", "category-tree"],
)
def test_list_queries_do_not_grow_with_rows(api_client, django_assert_num_queries, rows, params, queries):
    root = CategoryFactory()
    leaves = CategoryFactory.create_batch(5, parent=root)
    for n in range(rows):
        PropertyFactory(title=f"Villa {n}", category=leaves[n % 5])
    params = {key: root.id if value == "root" else value for key, value in params.items()}

    with django_assert_num_queries(queries):
        response = api_client.get(PROPERTIES, {"page_size": 100, **params})

    assert len(response.json()["results"]) == rows


def test_detail_costs_one_query(api_client, django_assert_num_queries):
    villa = PropertyFactory()

    with django_assert_num_queries(1):
        response = api_client.get(detail_url(villa.slug))

    assert response.status_code == 200
