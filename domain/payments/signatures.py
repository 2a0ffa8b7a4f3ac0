"""Webhook signatures as Stripe and bKash make them: HMAC-SHA256 over the raw body.

Checked with hmac.compare_digest, so the time a comparison takes says nothing
about how much of a forged signature was right.
"""

import hashlib
import hmac
import logging
import time

from domain.errors import ErrorCode

from .providers.base import InvalidWebhook

logger = logging.getLogger(__name__)

STRIPE_SCHEME = "v1"


def stripe_signature_header(raw_body: bytes, secret: str, timestamp: int) -> str:
    """A `Stripe-Signature` value: `t=<timestamp>,v1=<hmac of "<timestamp>.<body>">`."""
    return f"t={timestamp},{STRIPE_SCHEME}={_hmac_hex(secret, _stripe_signed_payload(raw_body, timestamp))}"


def verify_stripe_signature(raw_body: bytes, header: str | None, secret: str, tolerance: int) -> None:
    """Accept the body if one `v1` value matches and the timestamp is within `tolerance` seconds of now.

    Several `v1` values are accepted, as Stripe sends while an endpoint's
    secret is being rolled. A timestamp too far in the past (a replay) or in
    the future is refused.
    """
    _require_secret(secret)
    if not header:
        raise _invalid("Missing Stripe-Signature header.")
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == STRIPE_SCHEME:
            signatures.append(value)
    try:
        timestamp = int(timestamp)
    except (TypeError, ValueError):
        raise _invalid("The Stripe-Signature header has no valid timestamp.") from None
    if not signatures:
        raise _invalid(f"The Stripe-Signature header has no {STRIPE_SCHEME} signature.")
    # In integers: a timestamp of a thousand digits is refused, not an OverflowError.
    if abs(int(time.time()) - timestamp) > tolerance:
        raise _invalid("The signature's timestamp is outside the tolerance zone.")
    expected = _hmac_hex(secret, _stripe_signed_payload(raw_body, timestamp)).encode()
    if not any(hmac.compare_digest(expected, signature.encode()) for signature in signatures):
        raise _invalid("No signature matches the body.")


def bkash_signature(raw_body: bytes, secret: str) -> str:
    """An `X-BKash-Signature` value: the hex HMAC-SHA256 of the body."""
    return _hmac_hex(secret, raw_body)


def verify_bkash_signature(raw_body: bytes, header: str | None, secret: str) -> None:
    _require_secret(secret)
    if not header:
        raise _invalid("Missing X-BKash-Signature header.")
    expected = bkash_signature(raw_body, secret).encode()
    if not hmac.compare_digest(expected, header.strip().lower().encode()):
        raise _invalid("The signature does not match the body.")


def _stripe_signed_payload(raw_body: bytes, timestamp: int) -> bytes:
    return f"{timestamp}.".encode() + raw_body


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _require_secret(secret: str) -> None:
    # An empty key would make every signature forgeable. With DEBUG off the
    # start-up check (apps.py) already refuses to run without one.
    if not secret:
        logger.error("a webhook arrived but its provider's webhook secret is not configured")
        raise _invalid("The webhook signature cannot be verified.")


def _invalid(detail: str) -> InvalidWebhook:
    return InvalidWebhook(ErrorCode.INVALID_SIGNATURE, detail)
