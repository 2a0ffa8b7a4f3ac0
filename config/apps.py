from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class PlatformConfig(AppConfig):
    """The platform package as an app, for the start-up checks of what every process needs."""

    name = "config"

    def ready(self):
        check_secret_key()
        connect_notice_dispatch()


def connect_notice_dispatch() -> None:
    """Every process (web, worker, beat, a command) queues a recorded notice after its commit; the domain
    that records it never imports the tasks layer (domain/notices/signals.py)."""
    from domain.notices.signals import notice_recorded
    from tasks.notices import dispatch_recorded_notice

    notice_recorded.connect(dispatch_recorded_notice, dispatch_uid="dispatch_recorded_notice")


def check_secret_key() -> None:
    """Refuse to start in production without SECRET_KEY.

    Django itself only complains when the key is first used, in the middle
    of a request; a process that cannot sign anything must not start.
    """
    if settings.DEBUG:
        return
    try:
        settings.SECRET_KEY  # noqa: B018  (reading it is the check: the setting raises when empty)
    except ImproperlyConfigured as empty:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: sessions, tokens and password reset links are signed "
            "with it, and every instance needs the same one. Set it in the environment (see .env.example)."
        ) from empty
