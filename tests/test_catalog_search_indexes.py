"""`search` and `location` on the property list are served by trigram indexes on PostgreSQL, not by a scan."""

import pytest
from django.db import connection

from api.catalog.views import PropertyListView
from tests.support.factories import PropertyFactory

pytestmark = pytest.mark.django_db


def plan_of_the_views_filter(**params) -> str:
    """EXPLAIN of the rows the property list's own filterset selects for `params` (as counted: unordered).

    Sequential scans are priced out, so that a table of a few test rows is
    read as a large one would be: by an index, if one matches the filter.
    """
    view = PropertyListView()
    filtered = view.filterset_class(data=params, queryset=view.get_queryset()).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return filtered.order_by().explain()


@pytest.fixture(autouse=True)
def _a_few_properties():
    PropertyFactory.create_batch(5)


def test_search_reads_the_search_document_index_alone():
    plan = plan_of_the_views_filter(search="helipad")

    assert "Bitmap Index Scan on property_search_document_trgm" in plan, plan
    assert "BitmapOr" not in plan, plan


def test_location_reads_the_location_index():
    plan = plan_of_the_views_filter(location="tropez")

    assert "Bitmap Index Scan on property_location_trgm" in plan, plan
