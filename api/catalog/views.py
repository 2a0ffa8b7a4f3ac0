from rest_framework import generics
from rest_framework.exceptions import NotFound

from api.public import PublicEndpoint
from domain.properties.selectors import category_list, property_by_slug, property_list

from .filters import PropertyFilter
from .serializers import CategorySerializer, PropertySerializer
from .throttles import SearchRateThrottle


class CategoryListView(PublicEndpoint, generics.ListAPIView):
    serializer_class = CategorySerializer
    # The tree is small and a client draws it whole.
    pagination_class = None

    def get_queryset(self):
        return category_list()


class PropertyListView(PublicEndpoint, generics.ListAPIView):
    serializer_class = PropertySerializer
    filterset_class = PropertyFilter
    throttle_classes = [*generics.ListAPIView.throttle_classes, SearchRateThrottle]

    def get_queryset(self):
        return property_list()


class PropertyDetailView(PublicEndpoint, generics.RetrieveAPIView):
    serializer_class = PropertySerializer

    def get_object(self):
        found = property_by_slug(self.kwargs["slug"])
        if found is None:
            raise NotFound()
        return found
