from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import User


def register_user(*, username: str, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Create a user who can log in with `password` (stored hashed).

    The input is validated before this is called; the unique index (on the
    username in any case) still decides a race between two sign-ups with one
    username, and the loser gets the same error a validator would have given.
    The username is compared as it is stored: Django saves it in its NFKC form
    ("ａｄａ" is "ada").
    """
    username = User.normalize_username(username)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                username=username,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
            )
    except IntegrityError:
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": ["A user with that username already exists."]}) from None
        raise
