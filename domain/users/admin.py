from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User

WHY_A_USER_WITH_BOOKINGS_STAYS = (
    "A user who has bookings cannot be deleted: the bookings are the record of what was booked and paid, "
    "and a pending one holds its property until it ends. To close the account, untick \u201cActive\u201d "
    "on the user's page instead: they can no longer log in, and their pending bookings expire as usual."
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
