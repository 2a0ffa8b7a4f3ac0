from django.contrib import admin

from domain.admin import ViewOnlyAdmin

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(ViewOnlyAdmin):
    list_display = ["id", "kind", "email", "booking", "status", "outcome", "attempts", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["email"]
    raw_id_fields = ["recipient", "booking", "reset_request"]
