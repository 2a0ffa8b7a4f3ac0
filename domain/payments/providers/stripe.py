"""A simulation of Stripe: PaymentIntents shaped like Stripe's, signed webhooks, no network."""

import time
from collections.abc import Mapping

from django.conf import settings

from domain.bookings.models import Booking

from ..signatures import stripe_signature_header, verify_stripe_signature
from .base import PaymentStrategy, ProviderError, ProviderPayment, simulated_id

# PaymentIntent parameters a caller may pass in the initiate payload.
OPTIONS = ("description", "receipt_email", "statement_descriptor")


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
            # Stripe counts in the currency's smallest unit (poisha for BDT).
            "amount": int(booking.total_amount * 100),
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
        return ProviderPayment(transaction_id=intent_id, amount=booking.total_amount, raw_response=intent)

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> None:
        verify_stripe_signature(
            raw_body, headers.get(self.signature_header), settings.STRIPE_WEBHOOK_SECRET, settings.WEBHOOK_TOLERANCE
        )

    def sign_webhook(self, raw_body: bytes) -> dict[str, str]:
        header = stripe_signature_header(raw_body, settings.STRIPE_WEBHOOK_SECRET, int(time.time()))
        return {self.signature_header: header}

    def describe(self) -> str:
        return "Stripe (simulated: PaymentIntents in BDT, no network calls)"
