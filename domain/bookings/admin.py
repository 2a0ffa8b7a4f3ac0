from django.contrib import admin

from domain.admin import ViewOnlyAdmin, act_on_each
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
        def cancel_one(booking):
            cancel_paid_booking_with_refund(booking_id=booking.pk, staff_username=request.user.get_username())
            return f"Booking {booking.pk} is canceled; its payment is refunded within seconds."

        act_on_each(self, request, queryset, cancel_one)

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("payments.refund_payment")
