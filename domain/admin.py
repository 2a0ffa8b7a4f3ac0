from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import Model, QuerySet

from domain.errors import DomainError


class ViewOnlyAdmin(admin.ModelAdmin):
    """The admin of records that only services write, under their locks.

    An edit or a delete here would bypass the rules: a booking deleted
    without freeing its property, a webhook event deleted so that its replay
    applies again. So the admin shows them and nothing more.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def act_on_each(model_admin, request, queryset: QuerySet, act: Callable[[Model], str]) -> None:
    """A staff action through its service on each selected row, in id order: `act(row)` returns the message
    of its success; a rule's refusal is shown as the error it is, and the other rows go on."""
    for row in queryset.order_by("pk"):
        try:
            done = act(row)
        except DomainError as refused:
            model_admin.message_user(request, f"{row}: {refused.detail}", messages.ERROR)
        else:
            model_admin.message_user(request, done, messages.SUCCESS)
