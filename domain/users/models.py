from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The platform's user; its own model so that fields can be added later."""

    class Meta:
        constraints = [
            # "Ada" and "ada" would be two accounts a person cannot tell apart.
            models.UniqueConstraint(Lower("username"), name="unique_username_any_case"),
        ]
