"""Who the client is: one rule for the API's throttles, the admin's login back-off and /metrics."""

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The client's address exactly as the API's throttles read it: from X-Forwarded-For, NUM_PROXIES hops
    deep, only when NUM_PROXIES is at least 1; else the connection's own."""
    return BaseThrottle().get_ident(request)
