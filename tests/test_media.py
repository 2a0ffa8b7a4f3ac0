"""Uploaded images are served at the URL that image_url gives, with DEBUG off.

Only the local path is tested: with a bucket configured the images go to S3
through django-storages, which needs the network; the test of that setup only
checks that it is the storage chosen and that the web process then serves nothing.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from domain.properties.models import Property
from tests.support.factories import CategoryFactory, png_upload
from tests.support.startup import start_django

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload_through_the_admin(admin_client, upload) -> Property:
    response = admin_client.post(
        reverse("admin:properties_property_add"),
        {
            "title": "Pictured Villa",
            "location": "Monaco",
            "price": "1.00",
            "bedrooms": "1",
            "bathrooms": "1",
            "category": CategoryFactory().id,
            "amenities": "[]",
            "status": "ACTIVE",
            "image": upload,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Property.objects.get()


def test_an_image_uploaded_in_the_admin_is_served_at_its_image_url(admin_client, api_client, settings, media_root):
    upload = png_upload("pictured.png")
    villa = upload_through_the_admin(admin_client, upload)

    image_url = api_client.get(f"/api/properties/{villa.slug}/").json()["image_url"]
    response = api_client.get(urlsplit(image_url).path)

    assert settings.DEBUG is False
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == (media_root / villa.image.name).read_bytes()
    upload.seek(0)
    assert (media_root / villa.image.name).read_bytes() == upload.read()


def test_with_serve_media_off_nothing_is_served(admin_client, api_client, settings, media_root):
    villa = upload_through_the_admin(admin_client, png_upload())
    settings.SERVE_MEDIA = False

    assert api_client.get(f"/media/{villa.image.name}").status_code == 404


def test_nothing_outside_media_root_is_served(api_client, media_root):
    media_root.mkdir()
    (media_root.parent / "secret.txt").write_text("not for the web")

    response = api_client.get("/media/../secret.txt")

    assert response.status_code in (400, 404)
    assert b"not for the web" not in response.content


def test_with_a_bucket_images_go_to_s3_and_the_web_process_serves_none(tmp_path):
    show = (
        "shell",
        "-c",
        "from django.conf import settings; from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, settings.SERVE_MEDIA, s.url('properties/villa.png'))",
    )

    started = start_django(
        tmp_path,
        *show,
        DEBUG="false",
        STRIPE_WEBHOOK_SECRET="x",
        BKASH_WEBHOOK_SECRET="y",
        AWS_STORAGE_BUCKET_NAME="luxestate-media",
        AWS_S3_CUSTOM_DOMAIN="media.example.com",
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.split()[-3:] == ["S3Storage", "False", "https://media.example.com/properties/villa.png"]
