from django.contrib import admin

from .models import Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "owner", "attempts", "error_code", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["id", "owner__username", "idempotency_key"]
    list_select_related = ["owner"]
    readonly_fields = [f.name for f in Operation._meta.fields]

    def has_add_permission(self, request):
        return False
