from django.urls import path

from .recommendations import RecommendedPropertiesView
from .views import CategoryListView, PropertyDetailView, PropertyListView

urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="category-list"),
    path("properties/", PropertyListView.as_view(), name="property-list"),
    # Before the slug route, or "recommended" would be read as a slug.
    path("properties/recommended/", RecommendedPropertiesView.as_view(), name="property-recommended"),
    path("properties/<slug:slug>/", PropertyDetailView.as_view(), name="property-detail"),
]
