from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "domain.notices"
    label = "notices"
