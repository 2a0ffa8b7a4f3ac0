"""Keep the recommendation lists right when a save or a delete changes what a subtree lists.

A property listed, unlisted, moved or deleted is updated in the lists; a
category moved or deleted drops the lists above it. The state before a save
is read in pre_save (one query, skipped for a new row): an instance's own
memory of it can be stale, and a missed update is a stale list. `update()`
and `bulk_create()` send no signal: whoever writes that way calls the
functions of recommendations.py.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Category, Property
from .recommendations import evict_recommendations_for_categories, update_recommendations_for_properties

LISTING_FIELDS = ("category_id", "status", "is_available", "created_at")


def _listing(category_id, status, is_available, created_at):
    """Where a property sits in the cached lists (its category and its place
    in the order), or None when it is not listed at all."""
    if status == Property.Status.ACTIVE and is_available:
        return category_id, created_at
    return None


@receiver(pre_save, sender=Property)
def remember_property_listing(sender, instance, **kwargs):
    row = None
    if not instance._state.adding:
        row = Property.objects.filter(pk=instance.pk).values_list(*LISTING_FIELDS).first()
    instance._listing_row_before_save = row


def _saved(field_name: str, update_fields) -> bool:
    """Whether a save with `update_fields` (None: every field) writes the field `field_name`."""
    if update_fields is None:
        return True
    field = Property._meta.get_field(field_name)
    return field.name in update_fields or field.attname in update_fields


@receiver(post_save, sender=Property)
def update_on_property_save(sender, instance, update_fields=None, **kwargs):
    row = instance._listing_row_before_save
    before = _listing(*row) if row else None
    # A field the save did not write keeps the row's value, not the instance's memory of it, which can
    # be stale (an edit form read before a booking ended): judged by it, a re-activation could be missed.
    after = _listing(
        *(
            getattr(instance, field) if row is None or _saved(field, update_fields) else row[index]
            for index, field in enumerate(LISTING_FIELDS)
        )
    )
    if before != after:
        # The lists of the category it left may still hold it.
        update_recommendations_for_properties([instance.pk], previous_category_ids=[before[0]] if before else [])


@receiver(post_delete, sender=Property)
def update_on_property_delete(sender, instance, **kwargs):
    update_recommendations_for_properties([instance.pk], previous_category_ids=[instance.category_id])


@receiver(pre_save, sender=Category)
def remember_category_parent(sender, instance, **kwargs):
    instance._parent_id_before_save = (
        None
        if instance._state.adding
        else Category.objects.filter(pk=instance.pk).values_list("parent_id", flat=True).first()
    )


@receiver(post_save, sender=Category)
def evict_on_category_move(sender, instance, created, **kwargs):
    # A new category lists nothing yet, so no subtree changes.
    old_parent_id = instance._parent_id_before_save
    if not created and old_parent_id != instance.parent_id:
        # The category's own ancestors are read after the commit: the new ones.
        evict_recommendations_for_categories([old_parent_id, instance.pk])


@receiver(post_delete, sender=Category)
def evict_on_category_delete(sender, instance, **kwargs):
    evict_recommendations_for_categories([instance.pk, instance.parent_id])
