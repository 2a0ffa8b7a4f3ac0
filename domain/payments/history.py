"""Appending to a payment's history (models.PaymentHistory): one function, so every entry has its source."""

from .models import Payment, PaymentHistory

Entry, Source = PaymentHistory.Entry, PaymentHistory.Source


def record(
    payment: Payment, entry: PaymentHistory.Entry, *, source: PaymentHistory.Source, source_id="", detail: str = ""
) -> PaymentHistory:
    """Append an entry, with the payment's status as it is now; inside the transaction of the change it
    describes, so that the history never says what did not commit."""
    return PaymentHistory.objects.create(
        payment=payment,
        entry=entry,
        source=source,
        source_id=str(source_id)[:255],
        detail=detail[:500],
        status=payment.status,
    )
