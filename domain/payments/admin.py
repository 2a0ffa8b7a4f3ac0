from django.contrib import admin, messages

from domain.admin import ViewOnlyAdmin

from domain.errors import DomainError

from .models import Payment, WebhookEvent
from .webhooks import replay_failed_event


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
    actions = ["replay"]

    @admin.action(description="Replay the selected failed events", permissions=["replay"])
    def replay(self, request, queryset):
        for event in queryset.order_by("pk"):
            try:
                replay_failed_event(event_pk=event.pk, replayed_by=request.user.get_username())
            except DomainError as refused:
                self.message_user(request, refused.detail, messages.ERROR)
            else:
                self.message_user(request, f"Event {event.pk} will be applied again within seconds.", messages.SUCCESS)

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("payments.replay_webhookevent")
