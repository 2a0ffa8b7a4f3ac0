"""The API's JWT authentication, which also names the user in the request's log lines."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication

from config import log_context


class LoggedJWTAuthentication(JWTAuthentication):
    # DRF authenticates in the view, after every middleware ran: the user is known from here on.
    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            log_context.bind(user_id=authenticated[0].pk)
        return authenticated


class LoggedJWTScheme(SimpleJWTScheme):
    """The docs describe it as the JWT it is (drf-spectacular matches the exact class only)."""

    target_class = LoggedJWTAuthentication
