from .models import Payment


def current_payment_id(booking_id: int) -> int | None:
    """The id of the booking's current payment: its newest (Payment's ordering), the one the booking waits on."""
    return Payment.objects.filter(booking_id=booking_id).values_list("pk", flat=True).first()
