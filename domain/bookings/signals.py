"""What the booking rules announce to the apps that depend on bookings (payments), which bookings cannot import."""

from django.dispatch import Signal

# Sent by services.end_booking inside its transaction, with `booking` (locked) and `reason`.
booking_ended = Signal()
