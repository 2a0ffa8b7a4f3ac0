from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "domain.operations"
    label = "operations"
