"""The OpenAPI schema and the Swagger UI page, whose assets come from this server, never a CDN.

Test settings run with DEBUG off, so the assets are served by WhiteNoise, as
in production.
"""

import re

import pytest
from django.test import Client

CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com")

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client()


def test_schema_is_an_openapi_3_document(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "LuxEstate API"
    assert "/api/health/ready/" in document["paths"]


def asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)


def test_docs_page_loads_swagger_ui_from_this_server(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    urls = asset_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert all(url.startswith("/static/") for url in urls), urls
    assert not [host for host in CDN_HOSTS if host in html]


def test_swagger_ui_assets_are_served_with_debug_off(client, settings):
    assert settings.DEBUG is False
    urls = asset_urls(client.get("/api/docs/").content.decode())

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content), url

    bundle = next(url for url in urls if url.endswith("swagger-ui-bundle.js"))
    assert "javascript" in client.get(bundle)["Content-Type"]


def test_options_on_the_docs_page_is_a_405_not_a_server_error(client):
    # DRF answers OPTIONS with its metadata, which the page's HTML renderer has no template for.
    response = client.options("/api/docs/")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("version", ["\r\nX-Injected: 1", "\x00"], ids=["newline", "nul"])
def test_the_schema_ignores_a_version_parameter_that_no_header_can_hold(client, version):
    # The API has one version; drf-spectacular put `?version=` verbatim into
    # the Content-Disposition header, where a newline or a NUL is a 500.
    response = client.get("/api/schema/", {"version": version})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="LuxEstate API.yaml"'
    assert response.content.decode().count(version) == 0
