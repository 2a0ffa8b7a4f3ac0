"""Which failed admin logins django-axes counts (whose: config/client_address.py)."""

from django.urls import reverse


def is_not_admin_login(request, credentials) -> bool:
    """Axes's whitelist: every login that is not the admin's. The API's login is throttled by its own
    rule (THROTTLE_AUTH_RATE), and neither counts towards nor is refused by the other."""
    return not request.path.startswith(reverse("admin:index"))
