"""What each kind of operation does: the one domain service it calls."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from domain.bookings.services import cancel_booking, create_booking
from domain.payments.services import record_payment, start_payment

from .models import Operation


@dataclass(frozen=True)
class Handler:
    # Runs inside the transaction that records the operation's final state.
    apply: Callable[[Operation, Any], Model]
    # Runs before it, holding no lock (a provider call); its result goes to apply.
    prepare: Callable[[Operation], Any] | None = None


HANDLERS = {
    Operation.Kind.BOOKING_CREATE: Handler(
        apply=lambda op, _: create_booking(user=op.owner, property_id=op.request["property_id"])
    ),
    Operation.Kind.BOOKING_CANCEL: Handler(
        apply=lambda op, _: cancel_booking(user=op.owner, booking_id=op.request["booking_id"])
    ),
    Operation.Kind.PAYMENT_INITIATE: Handler(
        # The operation id is the provider's idempotency key: a redelivered task reuses it.
        prepare=lambda op: start_payment(user=op.owner, idempotency_key=str(op.pk), **op.request),
        apply=lambda op, started: record_payment(
            user=op.owner, booking_id=op.request["booking_id"], provider=op.request["provider"], started=started
        ),
    ),
}
