"""The API's JWT authentication: simplejwt's, refusing tokens older than the user's last password change,
and naming the user in the request's log lines."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication

from config import log_context

from .tokens import refuse_if_password_changed


class VersionedJWTAuthentication(JWTAuthentication):
    """The version is a column of the user row that `get_user` loads anyway: no query more per request."""

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        # DRF authenticates in the view, after every middleware ran: the user is known from here on.
        if authenticated is not None:
            log_context.bind(user_id=authenticated[0].pk)
        return authenticated

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        refuse_if_password_changed(validated_token, user)
        return user


class VersionedJWTScheme(SimpleJWTScheme):
    """The docs describe it as the JWT it is (drf-spectacular matches the exact class only; registered on import)."""

    target_class = VersionedJWTAuthentication
