"""Every kind of operation, each declared once: its arguments, its work, its queue, its result, its refusals.

Adding a kind is one `OperationKind` here (and its entry in OPERATION_KINDS):
the API records it (`api.operations.accept`), the engine runs it
(`services.execute_operation`), the task queues it, and the status URL
renders its result, all from this declaration.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Model

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking, create_booking
from domain.errors import ErrorCode
from domain.payments.cancels import cancel_unrecorded_payment_after_commit
from domain.payments.models import Payment
from domain.payments.services import StartedPayment, record_payment, start_payment


@dataclass(frozen=True, kw_only=True)
class OperationKind:
    name: str
    # A frozen dataclass: validated at the edge, stored as JSON, given to the work as itself.
    arguments: type
    # The change, in the transaction that records the operation's final
    # state: apply(owner=, arguments=, prepared=) returns the row it produced.
    apply: Callable[..., Model]
    # Before it, holding no lock (a call to a payment provider):
    # prepare(owner=, arguments=, idempotency_key=, retry=), whose result goes
    # to apply; `retry`: an earlier run began, and may have done it already.
    prepare: Callable[..., Any] | None = None
    # When apply refuses what prepare made (a payment the provider opened):
    # abandon(owner=, arguments=, prepared=, why=), in the transaction that
    # records the refusal, undoes it outside once that commits.
    abandon: Callable[..., None] | None = None
    queue: str
    # The model of the row `apply` returns, shown as its own GET endpoint shows it.
    result_model: type[Model]
    # The codes it can end FAILED with, besides internal_error.
    errors: frozenset[ErrorCode]

    def arguments_from_json(self, stored: dict):
        return self.arguments(**stored)

    def arguments_as_json(self, arguments) -> dict:
        if not isinstance(arguments, self.arguments):
            raise TypeError(f"{self.name} takes {self.arguments.__name__}, not {type(arguments).__name__}")
        return asdict(arguments)


@dataclass(frozen=True)
class BookingCreateArguments:
    property_id: int


def _create_booking(*, owner, arguments: BookingCreateArguments, prepared: None) -> Booking:
    return create_booking(user=owner, property_id=arguments.property_id)


BOOKING_CREATE = OperationKind(
    name="booking.create",
    arguments=BookingCreateArguments,
    apply=_create_booking,
    queue="bookings",
    result_model=Booking,
    errors=frozenset(
        {
            ErrorCode.PROPERTY_NOT_FOUND,
            ErrorCode.PROPERTY_INACTIVE,
            ErrorCode.PROPERTY_UNAVAILABLE,
            ErrorCode.TOO_MANY_PENDING_BOOKINGS,
            ErrorCode.REBOOK_COOLDOWN,
        }
    ),
)


@dataclass(frozen=True)
class BookingCancelArguments:
    booking_id: int


def _cancel_booking(*, owner, arguments: BookingCancelArguments, prepared: None) -> Booking:
    return cancel_booking(user=owner, booking_id=arguments.booking_id)


BOOKING_CANCEL = OperationKind(
    name="booking.cancel",
    arguments=BookingCancelArguments,
    apply=_cancel_booking,
    queue="bookings",
    result_model=Booking,
    errors=frozenset({ErrorCode.BOOKING_NOT_FOUND, ErrorCode.BOOKING_NOT_CANCELABLE}),
)


@dataclass(frozen=True)
class PaymentInitiateArguments:
    booking_id: int
    provider: str
    payload: dict


def _start_payment(*, owner, arguments: PaymentInitiateArguments, idempotency_key: str, retry: bool) -> StartedPayment:
    return start_payment(
        user=owner,
        booking_id=arguments.booking_id,
        provider=arguments.provider,
        payload=arguments.payload,
        idempotency_key=idempotency_key,
        retry=retry,
    )


def _record_payment(*, owner, arguments: PaymentInitiateArguments, prepared: StartedPayment) -> Payment:
    return record_payment(user=owner, booking_id=arguments.booking_id, provider=arguments.provider, started=prepared)


def _abandon_payment(*, owner, arguments: PaymentInitiateArguments, prepared: StartedPayment, why: str) -> None:
    cancel_unrecorded_payment_after_commit(provider=arguments.provider, started=prepared, why=why)


PAYMENT_INITIATE = OperationKind(
    name="payment.initiate",
    arguments=PaymentInitiateArguments,
    prepare=_start_payment,
    apply=_record_payment,
    abandon=_abandon_payment,
    queue="payments",
    result_model=Payment,
    errors=frozenset(
        {
            ErrorCode.BOOKING_NOT_FOUND,
            ErrorCode.BOOKING_ALREADY_PAID,
            ErrorCode.BOOKING_NOT_PAYABLE,
            ErrorCode.PROVIDER_ERROR,
        }
    ),
)

OPERATION_KINDS: dict[str, OperationKind] = {
    kind.name: kind for kind in (BOOKING_CREATE, BOOKING_CANCEL, PAYMENT_INITIATE)
}
