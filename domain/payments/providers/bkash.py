"""A simulation of bKash's tokenized checkout: create-payment answers, signed webhooks, no network."""

from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from domain.bookings.models import Booking

from ..signatures import bkash_signature, verify_bkash_signature
from . import simulated_ledger as ledger
from .base import PaymentStrategy, ProviderError, ProviderPayment, ProviderRefund, ProviderState, simulated_id

# Create-payment fields a caller may pass in the initiate payload.
OPTIONS = ("payerReference", "callbackURL")
CHECKOUT_URL = "https://sandbox.payment.bkash.com/redirect/tokenized/?paymentID={payment_id}&mode=0011"
DHAKA = ZoneInfo("Asia/Dhaka")
# A payment's transactionStatus (bKash's query-payment), by what the simulated provider knows of it.
TRANSACTION_STATUS = {
    ledger.OPEN: "Initiated",
    ledger.SUCCEEDED: "Completed",
    ledger.FAILED: "Failed",
    ledger.CANCELED: "Cancelled",
}


def _taka(amount: Decimal) -> str:
    # bKash writes amounts as decimal strings in taka.
    return str(amount.quantize(Decimal("0.01")))


def _dhaka_time() -> str:
    now = timezone.now().astimezone(DHAKA)
    return now.strftime("%Y-%m-%dT%H:%M:%S:") + f"{now.microsecond // 1000:03d} GMT+0600"


class BkashSimulation(PaymentStrategy):
    signature_header = "X-BKash-Signature"

    def start_payment(self, booking: Booking, payload: dict, idempotency_key: str) -> ProviderPayment:
        unknown = sorted(set(payload) - set(OPTIONS))
        if unknown:
            raise ProviderError(f"Unknown create-payment field: {unknown[0]}")
        payment_id = f"TR0011{simulated_id('bkash-payment', idempotency_key, 16).upper()}"
        answer = {
            "statusCode": "0000",
            "statusMessage": "Successful",
            "paymentID": payment_id,
            "bkashURL": CHECKOUT_URL.format(payment_id=payment_id),
            "callbackURL": payload.get("callbackURL", ""),
            "payerReference": payload.get("payerReference", ""),
            "amount": _taka(booking.total_amount),
            "currency": "BDT",
            "intent": "sale",
            "merchantInvoiceNumber": idempotency_key,
            "paymentCreateTime": _dhaka_time(),
            "transactionStatus": "Initiated",
        }
        ledger.open_payment("BKASH", payment_id)
        return ProviderPayment(transaction_id=payment_id, amount=booking.total_amount, raw_response=answer)

    def refund(self, payment, amount: Decimal, idempotency_key: str) -> ProviderRefund:
        # bKash's refund API answers at once, completed or refused: never pending.
        made = ledger.refund(
            "BKASH",
            payment.transaction_id,
            idempotency_key,
            amount,
            refund_id=simulated_id("bkash-refund", idempotency_key, 10).upper(),
        )
        answer = {
            "statusCode": "0000",
            "statusMessage": "Successful",
            "originalTrxID": payment.transaction_id,
            "refundTrxID": made["id"],
            "transactionStatus": "Completed",
            "amount": _taka(Decimal(made["amount"])),
            "currency": "BDT",
            "charge": "0.00",
            "completedTime": _dhaka_time(),
        }
        return ProviderRefund(refund_id=made["id"], status=ProviderRefund.SUCCEEDED, raw_response=answer)

    def cancel_payment(self, payment, idempotency_key: str) -> dict:
        # Tokenized checkout has no cancel call: a created payment that is never
        # executed lapses. What bKash offers is to stop executing it, which
        # the merchant does by refusing its callback; the simulation records it.
        ledger.cancel("BKASH", payment.transaction_id)
        return self._query(payment)

    def retrieve(self, payment) -> ProviderState:
        answer = self._query(payment)
        status = {"Completed": "SUCCESS", "Failed": "FAILED"}.get(answer["transactionStatus"])
        return ProviderState(status=status, raw_response=answer)

    def _query(self, payment) -> dict:
        """bKash's query-payment answer for the payment."""
        state = ledger.state_of("BKASH", payment.transaction_id)
        if state is None:
            raise ProviderError(f"Invalid Payment ID: {payment.transaction_id}")
        return {
            "statusCode": "0000",
            "statusMessage": "Successful",
            "paymentID": payment.transaction_id,
            "transactionStatus": TRANSACTION_STATUS[state],
            "amount": _taka(payment.amount),
            "currency": "BDT",
            "intent": "sale",
        }

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> None:
        verify_bkash_signature(raw_body, headers.get(self.signature_header), settings.BKASH_WEBHOOK_SECRET)

    def sign_webhook(self, raw_body: bytes) -> dict[str, str]:
        return {self.signature_header: bkash_signature(raw_body, settings.BKASH_WEBHOOK_SECRET)}

    def describe(self) -> str:
        return "bKash (simulated: tokenized checkout in BDT, no network calls)"
