from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "domain.properties"
    label = "properties"
