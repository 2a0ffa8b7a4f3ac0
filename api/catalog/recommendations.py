"""`GET /api/properties/recommended/?category_id=<int>` (public)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from api.pagination import PageNumberPagination
from api.public import PublicEndpoint
from domain.limits import MAX_ID
from domain.properties.recommendations import properties_in_order, recommended_property_ids

from .serializers import PropertySerializer


class RecommendedQuerySerializer(serializers.Serializer):
    # An integer outside the ids' range is a 400; one inside it that names no category, a 404.
    category_id = serializers.IntegerField(min_value=-MAX_ID - 1, max_value=MAX_ID)


class RecommendedPropertiesView(PublicEndpoint, GenericAPIView):
    """The ACTIVE and available properties of a category's whole subtree, newest first."""

    serializer_class = PropertySerializer
    pagination_class = PageNumberPagination
    filter_backends = []  # the rows are chosen by the cached ids alone

    @extend_schema(parameters=[RecommendedQuerySerializer], responses=PropertySerializer(many=True))
    def get(self, request):
        query = RecommendedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        property_ids = recommended_property_ids(query.validated_data["category_id"])
        # A hit reads the count and the page's ids from Redis; only the page's rows from the database.
        page_ids = self.paginate_queryset(property_ids)
        serializer = self.get_serializer(properties_in_order(page_ids), many=True)
        return self.get_paginated_response(serializer.data)
