"""Sessions: the refresh tokens a user holds, each spent once."""

from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


def lock_refresh_token(jti: str) -> None:
    """Hold the row of the refresh token `jti` until the enclosing transaction ends.

    A refresh checks that its token is not blacklisted, then blacklists it:
    two refreshes of one token at once would both pass the check and both get
    a new token. Under this lock the second checks after the first committed,
    and finds the token blacklisted.
    """
    list(OutstandingToken.objects.select_for_update().filter(jti=jti).values_list("pk", flat=True))
