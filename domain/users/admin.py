from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as delete_selected_action
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.http import HttpResponseRedirect

from domain.bookings.user_deletion import WHY_A_USER_WITH_BOOKINGS_STAYS, delete_users_without_bookings
from domain.errors import DomainError

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # Django's own "delete selected", in a transaction with its log entries and able to be refused.
    actions = ["delete_selected"]

    def get_deleted_objects(self, objs, request):
        """What deleting `objs` takes, for the delete page and the "delete selected" action.

        Bookings PROTECT their user. Django would list them twice: as
        protected, and as objects this account may not delete (the bookings
        admin is view-only), and it shows the second, which reads like a
        missing permission. Nobody may delete them, so it is the protection
        that is shown, with why.

        What goes with a user (their operations, notices, refresh tokens:
        CASCADE) is view-only in the admin because only services write it,
        not because it must stay; what must stay PROTECTs the user. So no
        permission on those is asked for: a user without bookings is deleted
        with them, on the user's own delete permission.
        """
        to_delete, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            messages.error(request, WHY_A_USER_WITH_BOOKINGS_STAYS)
        return to_delete, model_count, set(), protected

    # The page's check above is read before staff confirm; the delete decides again under the users'
    # locks (delete_users_without_bookings), where a booking made meanwhile refuses it.

    def delete_model(self, request, obj):
        delete_users_without_bookings(user_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        delete_users_without_bookings(user_ids=list(queryset.values_list("pk", flat=True)))

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError:
            # Rolled back with its log entry; the page again, which now names the booking and says why.
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(permissions=["delete"], description=delete_selected_action.short_description)
    def delete_selected(self, request, queryset):
        try:
            with transaction.atomic():
                return delete_selected_action(self, request, queryset)
        except DomainError as refused:
            self.message_user(request, refused.detail, messages.ERROR)
            return None
