from django.contrib import admin

from domain.admin import ViewOnlyAdmin

from .models import Booking


@admin.register(Booking)
class BookingAdmin(ViewOnlyAdmin):
    list_display = ["id", "property", "user", "status", "total_amount", "expires_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["property__title", "user__username"]
    list_select_related = ["property", "user"]
