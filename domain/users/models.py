from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The platform's user; its own model so that fields can be added later."""

    # Raised by every change of password: an access token carries the value
    # it was issued with, and one that differs is refused. Read from the row
    # that authentication loads anyway, so it costs no query.
    token_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            # "Ada" and "ada" would be two accounts a person cannot tell apart.
            models.UniqueConstraint(Lower("username"), name="unique_username_any_case"),
        ]
