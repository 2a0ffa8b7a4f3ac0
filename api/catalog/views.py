from rest_framework import generics
from rest_framework.permissions import AllowAny

from domain.properties.selectors import category_list, property_by_slug, property_list

from .filters import PropertyFilter
from .serializers import CategorySerializer, PropertySerializer


class CategoryListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    # The tree is small and a client draws it whole.
    pagination_class = None

    def get_queryset(self):
        return category_list()


class PropertyListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = PropertySerializer
    filterset_class = PropertyFilter

    def get_queryset(self):
        return property_list()


class PropertyDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = PropertySerializer

    def get_object(self):
        return property_by_slug(self.kwargs["slug"])
