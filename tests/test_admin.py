import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from domain.properties.models import Category, Property
from tests.support.factories import CategoryFactory, PropertyFactory, png_upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:properties_category_changelist",
        "admin:properties_category_add",
        "admin:properties_property_changelist",
        "admin:properties_property_add",
    ],
)
def test_admin_pages_load(admin_client, url_name):
    PropertyFactory(title="Sea View Villa", category=CategoryFactory(name="Villas"))

    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200


def test_the_property_changelist_shows_its_columns_and_searches(admin_client):
    PropertyFactory(title="Sea View Villa", location="Monaco")
    PropertyFactory(title="Ski Chalet", location="Gstaad")

    response = admin_client.get(reverse("admin:properties_property_changelist"), {"q": "monaco"})

    content = response.content.decode()
    assert "Sea View Villa" in content
    assert "Ski Chalet" not in content
    for column in (
        "column-title",
        "column-category",
        "column-location",
        "column-price",
        "column-status",
        "column-is_available",
        "column-created_at",
    ):
        assert column in content


def test_the_property_changelist_search_wants_every_word_and_a_quoted_phrase_whole(admin_client):
    PropertyFactory(title="Sea View Villa", location="Monaco")
    PropertyFactory(title="View of the Sea", location="Monaco")
    PropertyFactory(title="Sea Breeze Flat", location="Malibu")
    changelist = reverse("admin:properties_property_changelist")

    words = admin_client.get(changelist, {"q": "sea monaco"}).content.decode()
    phrase = admin_client.get(changelist, {"q": '"sea view"'}).content.decode()

    assert "Sea View Villa" in words and "View of the Sea" in words and "Sea Breeze Flat" not in words
    assert "Sea View Villa" in phrase and "View of the Sea" not in phrase


def test_the_property_changelist_filters_by_status(admin_client):
    PropertyFactory(title="Listed Villa", status=Property.Status.ACTIVE)
    PropertyFactory(title="Withdrawn Villa", status=Property.Status.INACTIVE)

    response = admin_client.get(reverse("admin:properties_property_changelist"), {"status__exact": "INACTIVE"})

    content = response.content.decode()
    assert "Withdrawn Villa" in content
    assert "Listed Villa" not in content


@pytest.mark.parametrize("model, source", [("property", "title"), ("category", "name")])
def test_the_add_form_prepopulates_the_slug(admin_client, model, source):
    form = html.unescape(admin_client.get(reverse(f"admin:properties_{model}_add")).content.decode())

    assert f'"id": "#id_slug", "name": "slug", "dependency_ids": ["#id_{source}"]' in form


def test_an_admin_creates_a_property_with_an_image(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category = CategoryFactory(name="Villas")

    response = admin_client.post(
        reverse("admin:properties_property_add"),
        {
            "title": "Sea View Villa",
            "slug": "",
            "description": "Terraces over the bay.",
            "location": "Monaco",
            "price": "2500000.00",
            "bedrooms": "5",
            "bathrooms": "4",
            "category": category.id,
            "amenities": '["pool", "helipad"]',
            "status": "ACTIVE",
            "is_available": "on",
            "image": png_upload("sea-view.png"),
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    villa = Property.objects.get()
    assert (villa.title, villa.slug, villa.category_id, villa.amenities) == (
        "Sea View Villa",
        "sea-view-villa",
        category.id,
        ["pool", "helipad"],
    )
    assert villa.image.name.startswith("properties/sea-view")
    assert (tmp_path / villa.image.name).read_bytes().startswith(b"\x89PNG")


def test_an_admin_creates_a_subcategory(admin_client):
    parent = CategoryFactory(name="Residential")

    response = admin_client.post(
        reverse("admin:properties_category_add"), {"name": "Villas", "slug": "villas", "parent": parent.id}
    )

    assert response.status_code == 302
    assert Category.objects.get(slug="villas").parent == parent


def test_a_non_image_upload_is_refused(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = admin_client.post(
        reverse("admin:properties_property_add"),
        {
            "title": "Sea View Villa",
            "location": "Monaco",
            "price": "1.00",
            "bedrooms": "1",
            "bathrooms": "1",
            "category": CategoryFactory().id,
            "amenities": "[]",
            "status": "ACTIVE",
            "image": SimpleUploadedFile("fake.png", b"not a picture", content_type="image/png"),
        },
    )

    assert response.status_code == 200
    assert "image" in response.context["adminform"].form.errors
    assert not Property.objects.exists()
