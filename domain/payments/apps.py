from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

WEBHOOK_SECRET_SETTINGS = ("STRIPE_WEBHOOK_SECRET", "BKASH_WEBHOOK_SECRET")


class PaymentsConfig(AppConfig):
    name = "domain.payments"
    label = "payments"

    def ready(self):
        check_webhook_secrets()
        from . import receivers  # noqa: F401  (connects them)


def check_webhook_secrets() -> None:
    """Refuse to start in production without the secrets that authenticate provider webhooks.

    Without them no webhook could be verified, so no payment would ever
    complete; better to stop at once than to fail every webhook quietly.
    """
    if settings.DEBUG:
        return
    missing = [name for name in WEBHOOK_SECRET_SETTINGS if not getattr(settings, name, "")]
    if missing:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set when DEBUG is off: without it the payment webhooks "
            "cannot be verified. Set it in the environment (see .env.example)."
        )
