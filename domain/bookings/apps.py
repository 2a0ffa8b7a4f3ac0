from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "domain.bookings"
    label = "bookings"
