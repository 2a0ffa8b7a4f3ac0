"""Query-string filters of `GET /api/properties/` (API.md, Catalog).

Every value is checked against the column it is compared with, so an
out-of-range or malformed value is a 400 from DjangoFilterBackend, never a
database error.
"""

from django import forms
from django_filters import rest_framework as filters

from domain.limits import MAX_ID
from domain.properties.models import Property
from domain.properties.selectors import in_category_tree, matching_search

# The counts are PositiveSmallIntegerField.
MAX_SMALL_INT = 32767


class IntegerFilter(filters.NumberFilter):
    """A NumberFilter that accepts only whole numbers ("2.5" is a 400, not 2)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.Field):
    """`true` or `false` (any case); anything else is an error.

    django-filter's BooleanFilter (its widget) turns a value it does not know
    into "no filter", which would answer `?is_available=maybe` with the
    unfiltered list.
    """

    def to_python(self, value):
        if value in (None, ""):
            return None
        choices = {"true": True, "false": False}
        if not isinstance(value, str) or value.lower() not in choices:
            raise forms.ValidationError("Must be true or false.", code="invalid")
        return choices[value.lower()]


class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanField


class PropertyOrderingFilter(filters.OrderingFilter):
    """Orders by the requested fields, then by id, so that pages never overlap on ties."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value if param), "-id")


def _price_filter(lookup: str) -> filters.NumberFilter:
    # The bounds of the column: Decimal(14, 2).
    return filters.NumberFilter(field_name="price", lookup_expr=lookup, max_digits=14, decimal_places=2)


def _count_filter(field_name: str) -> IntegerFilter:
    return IntegerFilter(field_name=field_name, lookup_expr="gte", min_value=0, max_value=MAX_SMALL_INT)


class PropertyFilter(filters.FilterSet):
    category = IntegerFilter(field_name="category_id", min_value=1, max_value=MAX_ID)
    status = filters.ChoiceFilter(choices=Property.Status.choices)
    category_tree = IntegerFilter(method="filter_category_tree", min_value=1, max_value=MAX_ID)
    min_price = _price_filter("gte")
    max_price = _price_filter("lte")
    bedrooms_min = _count_filter("bedrooms")
    bathrooms_min = _count_filter("bathrooms")
    location = filters.CharFilter(lookup_expr="icontains", max_length=200)
    is_available = StrictBooleanFilter()
    search = filters.CharFilter(method="filter_search", max_length=200)
    ordering = PropertyOrderingFilter(fields=["price", "created_at"])

    class Meta:
        model = Property
        fields = []

    def filter_category_tree(self, queryset, name, value):
        return in_category_tree(queryset, value)

    def filter_search(self, queryset, name, value):
        return matching_search(queryset, value)
