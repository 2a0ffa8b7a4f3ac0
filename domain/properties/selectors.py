from django.db.models import Q, QuerySet

from .models import Category, Property
from .tree import category_subtree_ids


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def property_list() -> QuerySet[Property]:
    """Every property, newest first.

    The representation shows the category as its id, read from `category_id`,
    so no join is needed: a page costs one query whatever its size.
    """
    return Property.objects.all()


def property_by_slug(slug: str) -> Property | None:
    return Property.objects.filter(slug=slug).first()


def in_category_tree(properties: QuerySet[Property], root_id: int) -> QuerySet[Property]:
    """`properties` in the category `root_id` or any of its descendants (none for an unknown root)."""
    return properties.filter(category_id__in=category_subtree_ids(root_id))


def matching_search(properties: QuerySet[Property], term: str) -> QuerySet[Property]:
    """`properties` whose title, description or location contains `term`, any case."""
    return properties.filter(Q(title__icontains=term) | Q(description__icontains=term) | Q(location__icontains=term))
