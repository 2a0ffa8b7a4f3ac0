from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "domain.payments"
    label = "payments"
