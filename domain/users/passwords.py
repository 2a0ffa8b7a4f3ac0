"""Changing a user's password, by the user or through a reset link, and revoking what the old one signed."""

from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from domain.errors import DomainError, ErrorCode

from .models import User


def change_password(*, user: User, old_password: str, new_password: str) -> None:
    """Set `user`'s new password if `old_password` is theirs; every token issued before stops working.

    The old password is checked against the user's row as it is, locked: of
    changes sent at once with one old password, the first wins and the others
    find it wrong.
    """
    with transaction.atomic():
        user.password = User.objects.select_for_update().values_list("password", flat=True).get(pk=user.pk)
        if not user.check_password(old_password):
            raise DomainError(ErrorCode.WRONG_PASSWORD, "The current password is not right.")
        _set_password(user, new_password)


def reset_password(*, uid: str, token: str, new_password: str) -> None:
    """Set the password of the user a reset link was made for, if the link's token is still good.

    Django's token generator signs the password hash and the last login into
    the token, so that a used link (the hash changed) is refused like a
    stale one (older than PASSWORD_RESET_TIMEOUT) or a forged one. The token
    is checked under the user's row lock: one link sent several times at once
    finds, after the first, the hash changed.
    """
    with transaction.atomic():
        user = _user_of_uid(uid)
        if user is None or not default_token_generator.check_token(user, token):
            raise DomainError(
                ErrorCode.PASSWORD_RESET_LINK_INVALID, "This password reset link is invalid or has expired."
            )
        _set_password(user, new_password)


def _user_of_uid(uid: str) -> User | None:
    """The active user the uid names, locked (call inside a transaction)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.select_for_update().filter(pk=pk, is_active=True).first()


def _set_password(user: User, new_password: str) -> None:
    """Validate and set `new_password`, raise the token version (access tokens) and blacklist every
    outstanding refresh token, together."""
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as weak:
        raise ValidationError({"new_password": weak.messages}) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.token_version = F("token_version") + 1
        user.save(update_fields=["password", "token_version"])
        revoke_refresh_tokens(user)
    user.refresh_from_db(fields=["token_version"])


def revoke_refresh_tokens(user: User) -> None:
    """Blacklist every refresh token issued to `user` that is not yet."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
