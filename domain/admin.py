from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpResponseRedirect

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


class DeletesThroughAService:
    """A ModelAdmin mixin whose deletes (its delete page, "Delete selected") go through `delete_rows`.

    `delete_rows(pks)` is a service that decides under its locks and may
    refuse (DomainError): what the page checked before staff confirmed may
    have changed since. A refused delete keeps nothing (its log entries roll
    back with it) and is no 500: the delete page shows itself again, as it
    now is, and the action says why.
    """

    # What the delete page says when bookings protect the rows.
    why_protected: str

    def delete_rows(self, pks: list) -> None:
        raise NotImplementedError

    def get_deleted_objects(self, objs, request):
        """What deleting `objs` takes, for the delete page and the "delete selected" action.

        Django would list the bookings that protect the rows twice: as
        protected, and as objects this account may not delete (the bookings
        admin is view-only), and it shows the second, which reads like a
        missing permission. Nobody may delete them, so it is the protection
        that is shown, with why.
        """
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            messages.error(request, self.why_protected)
            perms_needed = set()
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        self.delete_rows([obj.pk])

    def delete_queryset(self, request, queryset):
        self.delete_rows(list(queryset.values_list("pk", flat=True)))

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError:
            # Rolled back by the view's own transaction.
            return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions[name] = (_delete_selected_or_say_why, name, description)
        return actions


def _delete_selected_or_say_why(model_admin, request, queryset):
    """Django's "Delete selected" in one transaction, with its log entries; a refusal is shown as the error it is."""
    try:
        with transaction.atomic():
            return delete_selected(model_admin, request, queryset)
    except DomainError as refused:
        model_admin.message_user(request, refused.detail, messages.ERROR)
        return None
