from django.urls import path

from domain.payments.models import Provider

from .views import PaymentInitiateView, PaymentWebhookView

urlpatterns = [
    path("initiate/", PaymentInitiateView.as_view(), name="payment-initiate"),
    path("webhook/stripe/", PaymentWebhookView.as_view(provider=Provider.STRIPE), name="payment-webhook-stripe"),
    path("webhook/bkash/", PaymentWebhookView.as_view(provider=Provider.BKASH), name="payment-webhook-bkash"),
]
