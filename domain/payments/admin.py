from django.contrib import admin

from domain.admin import ViewOnlyAdmin

from .models import Payment, WebhookEvent


@admin.register(Payment)
class PaymentAdmin(ViewOnlyAdmin):
    list_display = ["id", "booking", "provider", "status", "amount", "needs_refund", "transaction_id", "created_at"]
    list_filter = ["provider", "status", "needs_refund"]
    search_fields = ["transaction_id"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyAdmin):
    list_display = ["id", "provider", "event_id", "status", "result", "outcome", "attempts", "received_at", "finished_at"]
    list_filter = ["provider", "status", "result"]
    search_fields = ["event_id"]
