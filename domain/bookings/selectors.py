from .models import Booking


def bookings_of(user):
    """The user's bookings, newest first."""
    return Booking.objects.filter(user=user).select_related("property").order_by("-created_at", "-id")
