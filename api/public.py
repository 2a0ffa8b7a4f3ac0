from rest_framework.permissions import AllowAny


class PublicEndpoint:
    """A view anyone may call: no token needed, and a stale or garbage one
    sent along is ignored instead of being answered 401."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
