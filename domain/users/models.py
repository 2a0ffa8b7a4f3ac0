from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The platform's user; its own model so that fields can be added later."""
