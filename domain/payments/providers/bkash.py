"""A simulation of bKash's tokenized checkout: create-payment answers, signed webhooks, no network."""

from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from domain.bookings.models import Booking

from ..signatures import bkash_signature, verify_bkash_signature
from .base import PaymentStrategy, ProviderError, ProviderPayment, simulated_id

# Create-payment fields a caller may pass in the initiate payload.
OPTIONS = ("payerReference", "callbackURL")
CHECKOUT_URL = "https://sandbox.payment.bkash.com/redirect/tokenized/?paymentID={payment_id}&mode=0011"
DHAKA = ZoneInfo("Asia/Dhaka")


class BkashSimulation(PaymentStrategy):
    signature_header = "X-BKash-Signature"

    def start_payment(self, booking: Booking, payload: dict, idempotency_key: str) -> ProviderPayment:
        unknown = sorted(set(payload) - set(OPTIONS))
        if unknown:
            raise ProviderError(f"Unknown create-payment field: {unknown[0]}")
        payment_id = f"TR0011{simulated_id('bkash-payment', idempotency_key, 16).upper()}"
        created = timezone.now().astimezone(DHAKA)
        answer = {
            "statusCode": "0000",
            "statusMessage": "Successful",
            "paymentID": payment_id,
            "bkashURL": CHECKOUT_URL.format(payment_id=payment_id),
            "callbackURL": payload.get("callbackURL", ""),
            "payerReference": payload.get("payerReference", ""),
            # bKash writes amounts as decimal strings in taka.
            "amount": str(booking.total_amount.quantize(Decimal("0.01"))),
            "currency": "BDT",
            "intent": "sale",
            "merchantInvoiceNumber": idempotency_key,
            "paymentCreateTime": created.strftime("%Y-%m-%dT%H:%M:%S:") + f"{created.microsecond // 1000:03d} GMT+0600",
            "transactionStatus": "Initiated",
        }
        return ProviderPayment(transaction_id=payment_id, amount=booking.total_amount, raw_response=answer)

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> None:
        verify_bkash_signature(raw_body, headers.get(self.signature_header), settings.BKASH_WEBHOOK_SECRET)

    def sign_webhook(self, raw_body: bytes) -> dict[str, str]:
        return {self.signature_header: bkash_signature(raw_body, settings.BKASH_WEBHOOK_SECRET)}

    def describe(self) -> str:
        return "bKash (simulated: tokenized checkout in BDT, no network calls)"
