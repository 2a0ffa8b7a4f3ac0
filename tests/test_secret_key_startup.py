"""With DEBUG off, the service refuses to start without SECRET_KEY; in development it is made once under var/."""

from tests.support.startup import start_django

SHOW_KEY = ("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")
WEBHOOK_SECRETS = {"STRIPE_WEBHOOK_SECRET": "whsec_x", "BKASH_WEBHOOK_SECRET": "y"}


def test_production_without_a_secret_key_does_not_start(tmp_path):
    started = start_django(tmp_path, DEBUG="false", SECRET_KEY="", **WEBHOOK_SECRETS)

    assert started.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in started.stderr
    assert not (tmp_path / "secret_key").exists()


def test_development_makes_one_key_for_every_process(tmp_path):
    first = start_django(tmp_path, *SHOW_KEY, DEBUG="true", SECRET_KEY="")
    second = start_django(tmp_path, *SHOW_KEY, DEBUG="true", SECRET_KEY="")

    assert first.returncode == 0, first.stderr
    key = first.stdout.split()[-1]
    assert len(key) >= 50
    assert second.stdout == first.stdout
    assert (tmp_path / "secret_key").read_text().strip() == key
