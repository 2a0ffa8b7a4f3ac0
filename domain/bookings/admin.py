from django.contrib import admin

from .models import Booking


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    # Read-only: a booking changes through its services, which take the locks.
    list_display = ["id", "property", "user", "status", "total_amount", "expires_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["property__title", "user__username"]
    list_select_related = ["property", "user"]
    readonly_fields = [f.name for f in Booking._meta.fields]

    def has_add_permission(self, request):
        return False
