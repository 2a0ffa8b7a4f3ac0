from django.urls import include, path

urlpatterns = [
    path("", include("api.health")),
    path("auth/", include("api.auth.urls")),
    path("", include("api.catalog.urls")),
    path("bookings/", include("api.bookings.urls")),
    path("payments/", include("api.payments.urls")),
    path("operations/", include("api.operations.urls")),
]
