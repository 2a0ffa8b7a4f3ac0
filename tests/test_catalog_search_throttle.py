"""Searching the property list has its own, tighter throttle: the scope `search` (THROTTLE_SEARCH_RATE)."""

import pytest
from django.urls import reverse

from tests.support.factories import PropertyFactory

pytestmark = pytest.mark.django_db

PROPERTIES = reverse("property-list")


def test_a_client_gets_sixty_searches_a_minute_then_429_and_plain_pages_still_answer(api_client):
    PropertyFactory(title="Sea View Villa")

    statuses = [api_client.get(PROPERTIES, {"search": "villa"}).status_code for _ in range(61)]

    assert statuses == [200] * 60 + [429]
    assert api_client.get(PROPERTIES).status_code == 200
    assert api_client.get(PROPERTIES, {"search": " ", "location": "bazar"}).status_code == 200
    # Another client still searches.
    assert api_client.get(PROPERTIES, {"search": "villa"}, REMOTE_ADDR="10.0.0.2").status_code == 200
