from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from domain.admin import DeletesThroughAService
from domain.bookings.deletion import WHY_A_USER_WITH_BOOKINGS_STAYS, delete_users_without_bookings

from .models import User


@admin.register(User)
class UserAdmin(DeletesThroughAService, DjangoUserAdmin):
    why_protected = WHY_A_USER_WITH_BOOKINGS_STAYS

    def get_deleted_objects(self, objs, request):
        """What goes with a user (their operations, notices, refresh tokens:
        CASCADE) is view-only in the admin because only services write it,
        not because it must stay; what must stay PROTECTs the user. So no
        permission on those is asked for: a user without bookings is deleted
        with them, on the user's own delete permission.
        """
        to_delete, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return to_delete, model_count, set(), protected

    def delete_rows(self, pks: list) -> None:
        delete_users_without_bookings(user_ids=pks)
