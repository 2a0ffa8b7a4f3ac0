"""With DEBUG off, the service refuses to start without its webhook secrets."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain.payments.apps import check_webhook_secrets
from tests.support.startup import start_django


def test_production_without_webhook_secrets_does_not_start(tmp_path):
    started = start_django(tmp_path, DEBUG="false", BKASH_WEBHOOK_SECRET="set")

    assert started.returncode != 0
    assert "ImproperlyConfigured: STRIPE_WEBHOOK_SECRET must be set when DEBUG is off" in started.stderr


def test_production_with_both_secrets_starts(tmp_path):
    started = start_django(tmp_path, DEBUG="false", STRIPE_WEBHOOK_SECRET="whsec_x", BKASH_WEBHOOK_SECRET="y")

    assert started.returncode == 0, started.stderr


def test_development_makes_them_once_for_every_process(tmp_path):
    show = (
        "shell",
        "-c",
        "from django.conf import settings; print(settings.STRIPE_WEBHOOK_SECRET, settings.BKASH_WEBHOOK_SECRET)",
    )

    first = start_django(tmp_path, *show, DEBUG="true")
    second = start_django(tmp_path, *show, DEBUG="true")

    assert first.returncode == 0, first.stderr
    stripe_secret, bkash_secret = first.stdout.split()[-2:]
    assert len(stripe_secret) >= 32 and len(bkash_secret) >= 32 and stripe_secret != bkash_secret
    assert second.stdout == first.stdout  # the server and send_webhook agree


@pytest.mark.parametrize(
    "stripe_secret, bkash_secret, named",
    [("", "", "STRIPE_WEBHOOK_SECRET and BKASH_WEBHOOK_SECRET"), ("whsec_x", "", "BKASH_WEBHOOK_SECRET")],
)
def test_the_check_names_what_is_missing(settings, stripe_secret, bkash_secret, named):
    settings.DEBUG = False
    settings.STRIPE_WEBHOOK_SECRET, settings.BKASH_WEBHOOK_SECRET = stripe_secret, bkash_secret

    with pytest.raises(ImproperlyConfigured, match=f"^{named} must be set when DEBUG is off"):
        check_webhook_secrets()
