"""The interface every payment provider implements, and what it exchanges with callers."""

import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from domain.bookings.models import Booking
from domain.errors import DomainError, ErrorCode
from domain.limits import MAX_ID

# REFUNDED: the provider confirms a refund that it had answered as pending.
WEBHOOK_STATUSES = ("SUCCESS", "FAILED", "REFUNDED")


class ProviderError(Exception):
    """The provider refused or failed a request (start, refund, cancel, retrieve); its message says why."""


class InvalidWebhook(DomainError):
    """A webhook request that must be refused with a 400 and not stored."""


@dataclass(frozen=True)
class ProviderPayment:
    """A payment the provider has started: what the booking's Payment records."""

    transaction_id: str
    amount: Decimal
    raw_response: dict


@dataclass(frozen=True)
class ProviderRefund:
    """The provider's answer to a refund: done at once (`succeeded`) or confirmed later by webhook (`pending`)."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"

    refund_id: str
    status: str
    raw_response: dict


@dataclass(frozen=True)
class ProviderState:
    """What the provider says of a payment when asked: a webhook status it would have sent (`SUCCESS`,
    `FAILED`), or None while the customer has not finished."""

    status: str | None
    raw_response: dict


@dataclass(frozen=True)
class WebhookNotice:
    """A verified webhook's content, in the same shape for every provider."""

    event_id: str
    booking_id: int
    transaction_id: str
    status: str

    @classmethod
    def from_body(cls, body) -> "WebhookNotice":
        """Validate a decoded webhook body; InvalidWebhook names what is wrong.

        Without an `event_id` the event is identified by its transaction and
        status, so a provider's redelivery of it is still a duplicate.
        """
        if not isinstance(body, dict):
            raise _malformed("The body must be a JSON object.")
        booking_id = body.get("booking_id")
        # bool is an int in Python; `true` is not a booking id.
        if type(booking_id) is not int or not 1 <= booking_id <= MAX_ID:
            raise _malformed("booking_id must be a positive integer.")
        transaction_id = _text(body, "transaction_id", max_length=128)
        status = body.get("status")
        if status not in WEBHOOK_STATUSES:
            raise _malformed(f"status must be one of {', '.join(WEBHOOK_STATUSES)}.")
        if body.get("event_id") is not None:
            event_id = _text(body, "event_id", max_length=255)
        else:
            event_id = f"{transaction_id}:{status}"
        return cls(event_id=event_id, booking_id=booking_id, transaction_id=transaction_id, status=status)

    def as_payload(self) -> dict:
        return {
            "event_id": self.event_id,
            "booking_id": self.booking_id,
            "transaction_id": self.transaction_id,
            "status": self.status,
        }


class PaymentStrategy(ABC):
    """One payment provider: starts payments and authenticates its webhooks.

    The registry (registry.py) picks the class for a provider from settings,
    so a real integration replaces a simulation without touching callers.
    """

    # The HTTP header that carries the webhook's signature.
    signature_header: str

    @abstractmethod
    def start_payment(self, booking: Booking, payload: dict, idempotency_key: str) -> ProviderPayment:
        """Ask the provider to start a payment of the booking's total.

        Called with no lock held: it may talk to the provider over the
        network. The provider dedupes on `idempotency_key`, so a redelivered
        task does not open a second payment. Raises ProviderError.
        """

    @abstractmethod
    def refund(self, payment, amount: Decimal, idempotency_key: str) -> ProviderRefund:
        """Refund `amount` of a succeeded payment. Called with no lock held; the provider dedupes on
        `idempotency_key`, so a run repeated after a crash gets the first refund back. Raises ProviderError."""

    @abstractmethod
    def cancel_payment(self, payment, idempotency_key: str) -> dict:
        """Cancel a payment the customer has not finished, so that it can no longer succeed; returns the
        provider's answer. Called with no lock held. Raises ProviderError."""

    @abstractmethod
    def retrieve(self, payment) -> ProviderState:
        """Ask the provider where a payment stands (a webhook may have been lost). Raises ProviderError."""

    @abstractmethod
    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> None:
        """Check the signature over the raw body; InvalidWebhook if it is missing or wrong."""

    @abstractmethod
    def sign_webhook(self, raw_body: bytes) -> dict[str, str]:
        """The headers the provider would send with this body (for demos and tests)."""

    @abstractmethod
    def describe(self) -> str:
        """A one-line human description of the provider and its mode."""

    def parse_webhook(self, raw_body: bytes) -> WebhookNotice:
        """Decode a verified body; InvalidWebhook if it is not a well-formed notice."""
        try:
            body = json.loads(raw_body, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise _malformed("The body is not valid JSON.") from None
        return WebhookNotice.from_body(body)


def simulated_id(purpose: str, idempotency_key: str, length: int) -> str:
    """A provider-style id that is the same for the same idempotency key, as a
    real provider answers a repeated request with the object it created first;
    keyed with SECRET_KEY, so it cannot be guessed from the key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{idempotency_key}".encode(), hashlib.sha256)
    return digest.hexdigest()[:length]


def _text(body: dict, key: str, *, max_length: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise _malformed(f"{key} must be a string of 1 to {max_length} characters.")
    # An id has no control characters; refusing them also keeps out NUL and
    # lone surrogates, which PostgreSQL text cannot store.
    if not value.isprintable():
        raise _malformed(f"{key} contains characters that are not allowed.")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _malformed(detail: str) -> InvalidWebhook:
    return InvalidWebhook(ErrorCode.MALFORMED_WEBHOOK, detail)
