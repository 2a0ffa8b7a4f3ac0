from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "domain.users"
    label = "users"
