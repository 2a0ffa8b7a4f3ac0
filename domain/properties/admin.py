from django.contrib import admin

from .models import Category, Property


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Property)
class PropertyAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "location", "price", "status", "is_available", "created_at"]
    list_filter = ["status", "is_available", "category"]
    list_select_related = ["category"]
    search_fields = ["title", "location", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["category"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
