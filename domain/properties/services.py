from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from domain.errors import DomainError, ErrorCode

from .models import CATEGORY_LOOP_MESSAGE, Category, Property
from .recommendations import update_recommendations_for_properties
from .tree import ancestor_ids


def set_property_availability(property_ids: Iterable[int], available: bool) -> None:
    """Mark properties (un)available: the one place `is_available` changes.

    A bulk update sends no post_save, so the recommendation lists are updated
    here explicitly (after the commit, by the update itself).
    """
    property_ids = list(property_ids)
    Property.objects.filter(pk__in=property_ids).update(is_available=available, updated_at=timezone.now())
    update_recommendations_for_properties(property_ids)


def save_property_edit(*, prop: Property) -> None:
    """Save staff's edit of an existing property: every field but `is_available`.

    Availability follows the bookings: only set_property_availability changes
    it, under the property's lock. An edit form read the row before that lock
    was free, so its copy of `is_available` may predate a booking that
    committed meanwhile, and writing it back would mark a held property
    available (listed, recommended) while its booking still holds it.
    """
    prop.save(
        update_fields=[
            field.name
            for field in Property._meta.concrete_fields
            if not field.primary_key and not field.generated and field.name != "is_available"
        ]
    )


def move_category(*, category: Category, parent: Category | None) -> Category:
    """Put `category` under `parent` (None: make it a root): the one writer of an existing category's parent,
    besides the admin form, whose check (Category.clean) takes the same locks (`check_category_move`).

    Refuses with `category_loop` a parent that is the category itself or one
    of its descendants.
    """
    with transaction.atomic():
        check_category_move(category_id=category.pk, parent_id=parent.pk if parent is not None else None)
        category.parent = parent
        category.save(update_fields=["parent"])
    return category


def check_category_move(*, category_id: int, parent_id: int | None) -> None:
    """Lock every category row, then refuse putting `category_id` under `parent_id` if that closes a loop
    (`category_loop`) or either is gone (`category_not_found`). Call inside transaction.atomic().

    The rows are locked in id order, so two moves never deadlock, and FOR NO
    KEY UPDATE, so a property being added under a category does not wait.
    They stay locked until the caller's transaction ends, which makes every
    move take turns: two at once cannot each close half of a loop, since the
    ancestors read under the lock are the ones the caller's write of the
    parent, in that same transaction, is checked against.
    """
    existing = set(Category.objects.select_for_update(no_key=True).order_by("pk").values_list("id", flat=True))
    if category_id not in existing or (parent_id is not None and parent_id not in existing):
        raise DomainError(ErrorCode.CATEGORY_NOT_FOUND, "Category does not exist.")
    if parent_id is not None and category_id in ancestor_ids([parent_id]):
        raise DomainError(ErrorCode.CATEGORY_LOOP, CATEGORY_LOOP_MESSAGE)
