from django.contrib import admin


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
