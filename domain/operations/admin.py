from django.contrib import admin

from domain.admin import ViewOnlyAdmin

from .models import Operation


@admin.register(Operation)
class OperationAdmin(ViewOnlyAdmin):
    list_display = ["id", "kind", "status", "owner", "attempts", "error_code", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["id", "owner__username", "idempotency_key"]
    list_select_related = ["owner"]
