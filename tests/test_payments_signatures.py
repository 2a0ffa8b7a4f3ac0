"""The webhook signature schemes; Stripe's checked against the official `stripe` package."""

import hashlib
import hmac
import time

import pytest
import stripe

from domain.payments.providers.base import InvalidWebhook
from domain.payments.providers.registry import strategy_for
from domain.payments.signatures import (
    bkash_signature,
    stripe_signature_header,
    verify_bkash_signature,
    verify_stripe_signature,
)

SECRET = "whsec_signature_tests"
BODY = b'{"booking_id": 12, "transaction_id": "pi_3f9a", "status": "SUCCESS", "note": "na\xc3\xafve"}'
TOLERANCE = 300


def test_a_header_we_make_verifies_with_the_stripe_package():
    header = stripe_signature_header(BODY, SECRET, int(time.time()))

    assert stripe.WebhookSignature.verify_header(BODY, header, SECRET, tolerance=TOLERANCE) is True


def test_a_header_the_stripe_package_makes_verifies_with_ours():
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET)

    verify_stripe_signature(BODY, header, SECRET, TOLERANCE)


def test_the_stripe_package_refuses_what_we_refuse():
    stale = stripe_signature_header(BODY, SECRET, int(time.time()) - TOLERANCE - 5)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY, stale, SECRET, tolerance=TOLERANCE)
    with pytest.raises(InvalidWebhook):
        verify_stripe_signature(BODY, stale, SECRET, TOLERANCE)

    other_secret = stripe.WebhookSignature.generate_signature_header(BODY.decode(), "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY, other_secret, SECRET, tolerance=TOLERANCE)
    with pytest.raises(InvalidWebhook):
        verify_stripe_signature(BODY, other_secret, SECRET, TOLERANCE)


def test_several_v1_signatures_are_accepted_while_a_secret_rolls():
    now = int(time.time())
    old = stripe_signature_header(BODY, "whsec_old", now).split(",")[1]
    new = stripe_signature_header(BODY, SECRET, now).split(",")[1]
    header = f"t={now},{old},{new},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"

    verify_stripe_signature(BODY, header, SECRET, TOLERANCE)
    verify_stripe_signature(BODY, header, "whsec_old", TOLERANCE)
    assert stripe.WebhookSignature.verify_header(BODY, header, SECRET, tolerance=TOLERANCE) is True


@pytest.mark.parametrize(
    "age, accepted",
    [(TOLERANCE - 5, True), (TOLERANCE + 5, False), (-(TOLERANCE - 5), True), (-(TOLERANCE + 5), False)],
)
def test_the_timestamp_tolerance_holds_in_both_directions(age, accepted):
    header = stripe_signature_header(BODY, SECRET, int(time.time()) - age)

    if accepted:
        verify_stripe_signature(BODY, header, SECRET, TOLERANCE)
    else:
        with pytest.raises(InvalidWebhook, match="tolerance"):
            verify_stripe_signature(BODY, header, SECRET, TOLERANCE)


def test_a_stale_signature_is_refused_even_when_it_was_right_then():
    # A replay of a genuine delivery, captured more than the tolerance ago.
    genuine_then = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, int(time.time()) - 3600)

    with pytest.raises(InvalidWebhook):
        verify_stripe_signature(BODY, genuine_then, SECRET, TOLERANCE)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "nonsense",
        "t=,v1=abc",
        "t=not-a-number,v1=abc",
        "v1=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
        f"t={int(time.time())}",
        f"t={int(time.time())},v0=abc",
        f"t={int(time.time())},v1=",
        f"t={int(time.time())},v1=\u00e9\u00e9",
        f"t={'9' * 400},v1=abc",  # beyond a float: refused, not an OverflowError
    ],
)
def test_a_missing_or_malformed_stripe_header_is_refused(header):
    with pytest.raises(InvalidWebhook) as refused:
        verify_stripe_signature(BODY, header, SECRET, TOLERANCE)

    assert refused.value.code == "invalid_signature"


def test_a_changed_body_is_refused():
    header = stripe_signature_header(BODY, SECRET, int(time.time()))

    with pytest.raises(InvalidWebhook):
        verify_stripe_signature(BODY.replace(b"SUCCESS", b"FAILED"), header, SECRET, TOLERANCE)
    with pytest.raises(InvalidWebhook):
        verify_stripe_signature(BODY + b" ", header, SECRET, TOLERANCE)


def test_an_empty_secret_verifies_nothing():
    # Not even a body "signed" with the empty secret.
    with pytest.raises(InvalidWebhook):
        verify_stripe_signature(BODY, stripe_signature_header(BODY, "", int(time.time())), "", TOLERANCE)
    with pytest.raises(InvalidWebhook):
        verify_bkash_signature(BODY, bkash_signature(BODY, ""), "")


def test_bkash_signature_is_the_hex_hmac_sha256_of_the_body():
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()

    assert bkash_signature(BODY, SECRET) == expected
    verify_bkash_signature(BODY, expected, SECRET)
    verify_bkash_signature(BODY, expected.upper(), SECRET)


@pytest.mark.parametrize(
    "header", [None, "", "00" * 32, bkash_signature(BODY, "another-secret"), "not hex at all \u00e9"]
)
def test_a_missing_or_wrong_bkash_signature_is_refused(header):
    with pytest.raises(InvalidWebhook):
        verify_bkash_signature(BODY, header, SECRET)


def test_the_strategies_sign_with_the_configured_secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET, settings.BKASH_WEBHOOK_SECRET = SECRET, "bkash-secret"

    stripe_headers = strategy_for("STRIPE").sign_webhook(BODY)
    bkash_headers = strategy_for("BKASH").sign_webhook(BODY)

    assert stripe.WebhookSignature.verify_header(BODY, stripe_headers["Stripe-Signature"], SECRET, tolerance=300)
    assert bkash_headers == {"X-BKash-Signature": bkash_signature(BODY, "bkash-secret")}
    strategy_for("STRIPE").verify_webhook(BODY, stripe_headers)
    strategy_for("BKASH").verify_webhook(BODY, bkash_headers)
    with pytest.raises(InvalidWebhook):
        strategy_for("BKASH").verify_webhook(BODY, stripe_headers)
