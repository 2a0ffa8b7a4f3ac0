from django.db.models import F, QuerySet

from .models import Booking


def bookings_as_shown() -> QuerySet[Booking]:
    """Bookings with what their representation reads besides their own row: their property's slug
    (`property_slug`), joined as that one column rather than the whole property row."""
    return Booking.objects.annotate(property_slug=F("property__slug"))


def bookings_of(user) -> QuerySet[Booking]:
    """The user's bookings, newest first, each with its payments (its current one first)."""
    return bookings_as_shown().filter(user=user).prefetch_related("payments").order_by("-created_at", "-id")
