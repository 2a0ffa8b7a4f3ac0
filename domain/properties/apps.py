from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "domain.properties"
    label = "properties"

    def ready(self):
        from . import signals  # noqa: F401  (connects the cache evictions)
