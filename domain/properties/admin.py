from django.contrib import admin, messages
from django.utils.text import smart_split, unescape_string_literal

from domain.admin import DeletesThroughAService
from domain.bookings.deletion import WHY_A_PROPERTY_WITH_BOOKINGS_STAYS, delete_properties_without_bookings
from domain.bookings.release import release_stuck_property
from domain.errors import DomainError

from .models import Category, Property
from .selectors import matching_search
from .services import save_property_edit


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Property)
class PropertyAdmin(DeletesThroughAService, admin.ModelAdmin):
    list_display = ["title", "category", "location", "price", "status", "is_available", "created_at"]
    list_filter = ["status", "is_available", "category"]
    list_select_related = ["category"]
    search_fields = ["title", "location", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["category"]
    date_hierarchy = "created_at"
    # Availability follows the bookings (their services set it under the
    # property's lock): a form saved here would overwrite it.
    readonly_fields = ["is_available", "created_at", "updated_at"]
    actions = ["release_stuck"]
    why_protected = WHY_A_PROPERTY_WITH_BOOKINGS_STAYS

    def save_model(self, request, obj, form, change):
        if change:
            save_property_edit(prop=obj)
        else:
            super().save_model(request, obj, form, change)

    def delete_rows(self, pks: list) -> None:
        delete_properties_without_bookings(property_ids=pks)

    def get_search_results(self, request, queryset, search_term):
        """Each word (or "quoted phrase") in the title, location or description, as the API searches:
        through the search document's index (the columns themselves have none)."""
        for term in smart_split(search_term):
            if term[0] in "\"'" and term[0] == term[-1]:
                term = unescape_string_literal(term)
            queryset = matching_search(queryset, term)
        return queryset, False

    @admin.action(description="Make available the selected properties that no booking holds")
    def release_stuck(self, request, queryset):
        released = 0
        for prop in queryset:
            try:
                released += release_stuck_property(property_id=prop.pk)
            except DomainError as refused:
                self.message_user(request, f"{prop.title}: {refused.detail}", messages.ERROR)
        if released:
            self.message_user(request, f"{released} made available.", messages.SUCCESS)
