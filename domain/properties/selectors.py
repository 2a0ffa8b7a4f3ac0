from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Upper

from .models import SEARCH_DOCUMENT_SEPARATOR, Category, Property
from .tree import category_subtree_ids


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def property_list() -> QuerySet[Property]:
    """Every property, newest first.

    The representation shows the category as its id, read from `category_id`,
    so no join is needed: a page costs one query whatever its size. The search
    document, a second copy of the text, is filtered on, never shown.
    """
    return Property.objects.defer("search_document")


def property_by_slug(slug: str) -> Property | None:
    return property_list().filter(slug=slug).first()


def in_category_tree(properties: QuerySet[Property], root_id: int) -> QuerySet[Property]:
    """`properties` in the category `root_id` or any of its descendants (none for an unknown root)."""
    return properties.filter(category_id__in=category_subtree_ids(root_id))


def matching_search(properties: QuerySet[Property], term: str) -> QuerySet[Property]:
    """`properties` whose title, description or location contains `term`, any case.

    One LIKE on the upper-cased search document (trigram-indexed). The term is
    upper-cased by the database's own UPPER, the one that made the document
    (Python's differs: "ß".upper() is "SS"). A term that holds the separator
    could match across two fields: those rows are kept only if one field holds it.
    """
    matching = properties.filter(search_document__contains=Upper(Value(term)))
    if SEARCH_DOCUMENT_SEPARATOR in term:
        matching = matching.filter(
            Q(title__icontains=term) | Q(description__icontains=term) | Q(location__icontains=term)
        )
    return matching
