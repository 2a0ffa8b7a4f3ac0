from .models import Booking


def bookings_of(user):
    """The user's bookings, newest first, each with its payments (its current one first)."""
    return (
        Booking.objects.filter(user=user)
        .select_related("property")
        .prefetch_related("payments")
        .order_by("-created_at", "-id")
    )
