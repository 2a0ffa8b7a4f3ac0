"""A simulation of Stripe: PaymentIntents shaped like Stripe's, signed webhooks, no network."""

import time
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings

from domain.bookings.models import Booking

from ..signatures import stripe_signature_header, verify_stripe_signature
from . import simulated_ledger as ledger
from .base import PaymentStrategy, ProviderError, ProviderPayment, ProviderRefund, ProviderState, simulated_id

# PaymentIntent parameters a caller may pass in the initiate payload.
OPTIONS = ("description", "receipt_email", "statement_descriptor")
# A PaymentIntent's status, by what the simulated provider knows of it.
INTENT_STATUS = {
    ledger.OPEN: "requires_payment_method",
    ledger.SUCCEEDED: "succeeded",
    ledger.FAILED: "requires_payment_method",
    ledger.CANCELED: "canceled",
}


def _poisha(amount: Decimal) -> int:
    # Stripe counts in the currency's smallest unit (poisha for BDT).
    return int(amount * 100)


class StripeSimulation(PaymentStrategy):
    signature_header = "Stripe-Signature"
    currency = "bdt"

    def start_payment(self, booking: Booking, payload: dict, idempotency_key: str) -> ProviderPayment:
        unknown = sorted(set(payload) - set(OPTIONS))
        if unknown:
            # What Stripe answers to a parameter it does not know.
            raise ProviderError(f"Received unknown parameter: {unknown[0]}")
        intent_id = f"pi_{simulated_id('stripe-intent', idempotency_key, 24)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": _poisha(booking.total_amount),
            "currency": self.currency,
            "status": "requires_payment_method",
            "client_secret": f"{intent_id}_secret_{simulated_id('stripe-secret', idempotency_key, 24)}",
            "created": int(time.time()),
            # As Stripe says of the key it was called with (sk_live_... or sk_test_...).
            "livemode": settings.STRIPE_SECRET_KEY.startswith("sk_live_"),
            "payment_method_types": ["card"],
            "metadata": {"booking_id": str(booking.pk), "idempotency_key": idempotency_key},
            **{option: payload.get(option) for option in OPTIONS},
        }
        ledger.open_payment("STRIPE", intent_id)
        return ProviderPayment(transaction_id=intent_id, amount=booking.total_amount, raw_response=intent)

    def refund(self, payment, amount: Decimal, idempotency_key: str) -> ProviderRefund:
        made = ledger.refund(
            "STRIPE",
            payment.transaction_id,
            idempotency_key,
            amount,
            refund_id=f"re_{simulated_id('stripe-refund', idempotency_key, 24)}",
        )
        status = ProviderRefund.PENDING if made["pending"] else ProviderRefund.SUCCEEDED
        answer = {
            "id": made["id"],
            "object": "refund",
            "amount": _poisha(Decimal(made["amount"])),
            "currency": self.currency,
            "payment_intent": payment.transaction_id,
            "reason": "requested_by_customer",
            "status": status,
            "created": int(time.time()),
            "metadata": {"idempotency_key": idempotency_key},
        }
        return ProviderRefund(refund_id=made["id"], status=status, raw_response=answer)

    def cancel_payment(self, payment, idempotency_key: str) -> dict:
        ledger.cancel("STRIPE", payment.transaction_id)
        return self._intent(payment)

    def retrieve(self, payment) -> ProviderState:
        intent = self._intent(payment)
        state = ledger.state_of("STRIPE", payment.transaction_id)
        status = {ledger.SUCCEEDED: "SUCCESS", ledger.FAILED: "FAILED"}.get(state)
        return ProviderState(status=status, raw_response=intent)

    def _intent(self, payment) -> dict:
        """The PaymentIntent as Stripe shows it now (the fields a caller reads)."""
        state = ledger.state_of("STRIPE", payment.transaction_id)
        if state is None:
            raise ProviderError(f"No such payment_intent: '{payment.transaction_id}'")
        return {
            "id": payment.transaction_id,
            "object": "payment_intent",
            "amount": _poisha(payment.amount),
            "currency": self.currency,
            "status": INTENT_STATUS[state],
            **({"cancellation_reason": "abandoned"} if state == ledger.CANCELED else {}),
        }

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> None:
        verify_stripe_signature(
            raw_body, headers.get(self.signature_header), settings.STRIPE_WEBHOOK_SECRET, settings.WEBHOOK_TOLERANCE
        )

    def sign_webhook(self, raw_body: bytes) -> dict[str, str]:
        header = stripe_signature_header(raw_body, settings.STRIPE_WEBHOOK_SECRET, int(time.time()))
        return {self.signature_header: header}

    def describe(self) -> str:
        return "Stripe (simulated: PaymentIntents in BDT, no network calls)"
