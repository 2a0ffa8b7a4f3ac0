from django.contrib import admin

from .models import Payment, WebhookEvent


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    # Read-only: a payment changes through its services and webhooks, under the booking's lock.
    list_display = ["id", "booking", "provider", "status", "amount", "needs_refund", "transaction_id", "created_at"]
    list_filter = ["provider", "status", "needs_refund"]
    search_fields = ["transaction_id"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["id", "provider", "event_id", "state", "outcome", "received_at", "processed_at"]
    list_filter = ["provider", "state"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]

    def has_add_permission(self, request):
        return False
