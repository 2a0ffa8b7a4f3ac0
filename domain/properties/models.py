from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Upper

from domain.errors import DomainError, ErrorCode

from .slugs import save_with_unique_slug

CATEGORY_LOOP_MESSAGE = "A category cannot be moved under itself or one of its descendants."
# Between the fields of the search document, so that a match across two of them can be told apart
# (selectors.matching_search).
SEARCH_DOCUMENT_SEPARATOR = "\n"


class Category(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        save_with_unique_slug(self, self.name, super().save, *args, **kwargs)

    def clean(self):
        """The form's check of a move, under the locks move_category takes: in the admin, whose change view
        is one transaction, they are held until the form's save, so two forms moving at once take turns."""
        if self.pk is not None and self.parent_id is not None:
            from .services import check_category_move  # services import this module

            try:
                with transaction.atomic():
                    check_category_move(category_id=self.pk, parent_id=self.parent_id)
            except DomainError as refused:
                if refused.code == ErrorCode.CATEGORY_LOOP:
                    raise ValidationError({"parent": refused.detail}) from None
                raise ValidationError(refused.detail) from None


class Property(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        INACTIVE = "INACTIVE"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True, blank=True)
    description = models.TextField(blank=True)
    # No b-tree index: the `location` filter is a substring match, which its
    # trigram index serves (migration 0002); every index is one more write
    # on each availability change, which no index can leave to a HOT update.
    location = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=14, decimal_places=2)
    bedrooms = models.PositiveSmallIntegerField(default=0)
    bathrooms = models.PositiveSmallIntegerField(default=0)
    # Indexed as the first column of (category, status, is_available) below.
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="properties", db_index=False)
    amenities = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    is_available = models.BooleanField(default=True)
    image = models.ImageField(upload_to="properties/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What `search` looks in, upper-cased once when the row is written rather than three columns on every
    # row a search reads; trigram-indexed on PostgreSQL (migration 0003).
    search_document = models.GeneratedField(
        expression=Upper(
            Concat(
                "title",
                Value(SEARCH_DOCUMENT_SEPARATOR),
                "description",
                Value(SEARCH_DOCUMENT_SEPARATOR),
                "location",
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "properties"
        indexes = [
            models.Index(fields=["category", "status", "is_available"]),
            models.Index(fields=["status", "is_available", "-created_at"]),
            models.Index(fields=["price"]),
            models.Index(fields=["bedrooms"]),
            models.Index(fields=["bathrooms"]),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        save_with_unique_slug(self, self.title, super().save, *args, **kwargs)
