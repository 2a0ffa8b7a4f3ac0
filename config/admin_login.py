"""How django-axes counts failed admin logins: whose, and which ones."""

from django.urls import reverse
from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The client's address exactly as the API's throttles read it: from X-Forwarded-For, NUM_PROXIES hops
    deep, only when NUM_PROXIES is at least 1; else the connection's own."""
    return BaseThrottle().get_ident(request)


def is_not_admin_login(request, credentials) -> bool:
    """Axes's whitelist: every login that is not the admin's. The API's login is throttled by its own
    rule (THROTTLE_AUTH_RATE), and neither counts towards nor is refused by the other."""
    return not request.path.startswith(reverse("admin:index"))
