from django.contrib import admin

from domain.admin import ViewOnlyAdmin, act_on_each

from .models import Payment, PaymentHistory, Refund, WebhookEvent
from .webhooks import replay_failed_event


class PaymentHistoryInline(admin.TabularInline):
    """The payment's history, oldest first: append-only, so shown and never edited."""

    model = PaymentHistory
    fields = ["created_at", "entry", "status", "source", "source_id", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ViewOnlyAdmin):
    list_display = [
        "id",
        "booking",
        "provider",
        "status",
        "amount",
        "refunded_amount",
        "transaction_id",
        "created_at",
    ]
    list_filter = ["provider", "status"]
    search_fields = ["transaction_id"]
    inlines = [PaymentHistoryInline]


@admin.register(Refund)
class RefundAdmin(ViewOnlyAdmin):
    list_display = [
        "id",
        "payment",
        "amount",
        "status",
        "attempts",
        "provider_refund_id",
        "requested_by",
        "outcome",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["provider_refund_id", "payment__transaction_id"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyAdmin):
    list_display = [
        "id",
        "provider",
        "event_id",
        "status",
        "result",
        "outcome",
        "attempts",
        "received_at",
        "finished_at",
    ]
    list_filter = ["provider", "status", "result"]
    search_fields = ["event_id"]
    actions = ["replay"]

    @admin.action(description="Replay the selected failed events", permissions=["replay"])
    def replay(self, request, queryset):
        def replay_one(event):
            replay_failed_event(event_pk=event.pk, replayed_by=request.user.get_username())
            return f"Event {event.pk} will be applied again within seconds."

        act_on_each(self, request, queryset, replay_one)

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("payments.replay_webhookevent")
