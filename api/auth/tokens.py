"""The JWTs this API issues: simplejwt's, with the user's token version in them."""

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
