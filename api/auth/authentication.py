from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from .tokens import token_version_of


class VersionedJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, refusing a token issued before the user's last change of password.

    The version is a column of the user row that `get_user` loads anyway: no
    query more per request.
    """

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if token_version_of(validated_token) != user.token_version:
            raise AuthenticationFailed("The password was changed since this token was issued.", code="password_changed")
        return user


class VersionedJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of VersionedJWTAuthentication: simplejwt's bearer JWT (registered on import)."""

    target_class = VersionedJWTAuthentication
