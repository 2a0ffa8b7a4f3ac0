"""With DEBUG off, the service refuses to start without its webhook secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain.payments.apps import check_webhook_secrets

REPO = Path(__file__).resolve().parent.parent


def start_django(tmp_path, *command, **env) -> subprocess.CompletedProcess:
    """`manage.py check` (or `command`) on the production settings, as a web or worker process starts."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "startup-test",
        "VAR_DIR": str(tmp_path),
        "STRIPE_WEBHOOK_SECRET": "",
        "BKASH_WEBHOOK_SECRET": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])], cwd=REPO, env=environment, capture_output=True, text=True, timeout=60
    )


def test_production_without_webhook_secrets_does_not_start(tmp_path):
    started = start_django(tmp_path, DEBUG="false", BKASH_WEBHOOK_SECRET="set")

    assert started.returncode != 0
    assert "ImproperlyConfigured: STRIPE_WEBHOOK_SECRET must be set when DEBUG is off" in started.stderr


def test_production_with_both_secrets_starts(tmp_path):
    started = start_django(tmp_path, DEBUG="false", STRIPE_WEBHOOK_SECRET="whsec_x", BKASH_WEBHOOK_SECRET="y")

    assert started.returncode == 0, started.stderr


def test_development_makes_them_once_for_every_process(tmp_path):
    show = ("shell", "-c", "from django.conf import settings; print(settings.STRIPE_WEBHOOK_SECRET, settings.BKASH_WEBHOOK_SECRET)")

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
