"""The JWTs this API issues: simplejwt's, with the user's token version in them."""

from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import RefreshToken

# The claim holding the user's `token_version` when the token was issued.
# Access tokens made from a refresh token (and rotated refresh tokens) copy it.
TOKEN_VERSION_CLAIM = "ver"


class VersionedRefreshToken(RefreshToken):
    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[TOKEN_VERSION_CLAIM] = user.token_version
        return token


def token_version_of(validated_token) -> int:
    # Tokens issued before the claim existed count as version 0: they stay
    # good until the user's first change of password.
    return validated_token.get(TOKEN_VERSION_CLAIM, 0)


def refuse_if_password_changed(token, user) -> None:
    """A token (access or refresh) issued before `user`'s last password change is refused: 401."""
    if token_version_of(token) != user.token_version:
        raise AuthenticationFailed("The password was changed since this token was issued.", code="password_changed")
