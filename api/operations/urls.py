from django.urls import path

from .views import OperationDetailView

urlpatterns = [
    path("<uuid:pk>/", OperationDetailView.as_view(), name="operation-detail"),
]
