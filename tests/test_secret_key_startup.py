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


def test_secrets_starting_with_a_dollar_sign_are_used_as_they_are_written(tmp_path):
    # django.core.management.utils.get_random_secret_key, which .env.example recommends, draws from an
    # alphabet with "$" in it: one key in fifty starts with one.
    secrets = {
        "SECRET_KEY": "$k9x!b2@qq-startup-test-key",
        "STRIPE_WEBHOOK_SECRET": "$HOME",
        "BKASH_WEBHOOK_SECRET": "$bkash-secret",
        "STRIPE_SECRET_KEY": "$sk_test",
        "METRICS_TOKEN": "$scrape-token",
    }
    show = (
        "shell",
        "-c",
        f"from django.conf import settings; print(*(getattr(settings, name) for name in {list(secrets)}))",
    )

    started = start_django(tmp_path, *show, DEBUG="false", **secrets)

    assert started.returncode == 0, started.stderr
    assert started.stdout.split()[-len(secrets) :] == list(secrets.values())
