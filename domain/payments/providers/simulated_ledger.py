"""What the simulated providers were asked, kept where every process sees it: their stand-in for a real
provider's own records.

A real provider remembers each payment it opened, its outcome, each cancel
and each refund, and answers a repeated refund (same idempotency key) with
the refund it made first. The simulations keep the same facts in the shared
cache (web and workers share it), so that `retrieve` answers from what they
were asked, and a refund repeated after a worker died is recognised. A test,
or a demo, plays the provider's side with `record_outcome` (the customer
paid or was declined) and `script_refunds` (the provider's refund API fails,
is slow, or answers pending): only the provider's network is simulated.
"""

import time
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.core.cache import cache

from .base import ProviderError

# Kept a week: longer than any payment stays open or any refund is retried.
KEPT_FOR = 7 * 24 * 3600

OPEN, SUCCEEDED, FAILED, CANCELED = "open", "succeeded", "failed", "canceled"


@dataclass(frozen=True)
class RefundScript:
    """How the provider's refund API behaves for one transaction."""

    # Requests refused (as a provider outage) before one is served.
    failures: int = 0
    # Answer `pending`: the refund is confirmed later by webhook.
    pending: bool = False
    # Seconds the answer takes, after the provider made the refund (a slow network).
    delay: float = 0.0


def _key(provider: str, transaction_id: str, what: str) -> str:
    return f"payment-simulation:{provider}:{transaction_id}:{what}"


def open_payment(provider: str, transaction_id: str) -> None:
    """The provider opened a payment; a repeated start (same transaction) leaves its outcome alone."""
    cache.add(_key(provider, transaction_id, "state"), OPEN, KEPT_FOR)


def state_of(provider: str, transaction_id: str) -> str | None:
    return cache.get(_key(provider, transaction_id, "state"))


def record_outcome(provider: str, transaction_id: str, outcome: str) -> None:
    """The customer finished at the provider: `succeeded` or `failed` (the provider's side, for tests and demos)."""
    cache.set(_key(provider, transaction_id, "state"), outcome, KEPT_FOR)


def cancel(provider: str, transaction_id: str) -> str:
    """Cancel an open payment; returns its state after. One that succeeded cannot be canceled."""
    state = state_of(provider, transaction_id)
    if state == SUCCEEDED:
        raise ProviderError("This payment has already succeeded: it cannot be canceled.")
    if state is None:
        raise ProviderError(f"No such payment: {transaction_id}")
    cache.set(_key(provider, transaction_id, "state"), CANCELED, KEPT_FOR)
    return CANCELED


def script_refunds(provider: str, transaction_id: str, script: RefundScript) -> None:
    cache.set(_key(provider, transaction_id, "refund-script"), asdict(script), KEPT_FOR)


def refund(provider: str, transaction_id: str, idempotency_key: str, amount: Decimal, refund_id: str) -> dict:
    """Make (once per idempotency key) a refund of `amount`; returns it as {"id", "amount", "pending"}.

    A request with a key already served gets the first refund back, as real
    providers answer: that is what makes a repeated run harmless.
    """
    request_number = _count(_key(provider, transaction_id, "refund-requests"))
    script = RefundScript(**(cache.get(_key(provider, transaction_id, "refund-script")) or {}))
    if request_number <= script.failures:
        raise ProviderError("The provider is unavailable (simulated outage); try again later.")
    if state_of(provider, transaction_id) != SUCCEEDED:
        raise ProviderError("Only a payment that succeeded can be refunded.")
    made = {"id": refund_id, "amount": str(amount), "pending": script.pending}
    if cache.add(_key(provider, idempotency_key, "refund"), made, KEPT_FOR):
        refunds = cache.get(_key(provider, transaction_id, "refunds")) or []
        cache.set(_key(provider, transaction_id, "refunds"), [*refunds, refund_id], KEPT_FOR)
    else:
        made = cache.get(_key(provider, idempotency_key, "refund"))
    time.sleep(script.delay)
    return made


def _count(key: str) -> int:
    """Add one to a counter, atomically across processes; returns its new value."""
    if cache.add(key, 1, KEPT_FOR):
        return 1
    return cache.incr(key)


def refunds_made(provider: str, transaction_id: str) -> list[str]:
    """The ids of the refunds the provider made of a transaction (one per idempotency key)."""
    return cache.get(_key(provider, transaction_id, "refunds")) or []


def refund_requests(provider: str, transaction_id: str) -> int:
    """How many refund requests reached the provider for a transaction, served or refused."""
    return cache.get(_key(provider, transaction_id, "refund-requests")) or 0
