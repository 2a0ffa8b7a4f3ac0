from django.contrib import admin, messages

from domain.admin import ViewOnlyAdmin
from domain.errors import DomainError
from domain.payments.staff_refunds import cancel_paid_booking_with_refund

from .models import Booking


@admin.register(Booking)
class BookingAdmin(ViewOnlyAdmin):
    list_display = ["id", "property", "user", "status", "total_amount", "expires_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["property__title", "user__username"]
    list_select_related = ["property", "user"]
    actions = ["cancel_with_refund"]

    @admin.action(description="Cancel the selected paid bookings with a full refund", permissions=["refund"])
    def cancel_with_refund(self, request, queryset):
        for booking in queryset.order_by("pk"):
            try:
                cancel_paid_booking_with_refund(booking_id=booking.pk, staff_username=request.user.get_username())
            except DomainError as refused:
                self.message_user(request, refused.detail, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Booking {booking.pk} is canceled; its payment is refunded within seconds.",
                    messages.SUCCESS,
                )

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("payments.refund_payment")
