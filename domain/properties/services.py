from collections.abc import Iterable

from django.utils import timezone

from .models import Property
from .recommendations import evict_recommendations_for_properties


def set_property_availability(property_ids: Iterable[int], available: bool) -> None:
    """Mark properties (un)available: the one place `is_available` changes.

    A bulk update sends no post_save, so the recommendation cache is evicted
    here explicitly (after the commit, by the eviction itself).
    """
    property_ids = list(property_ids)
    Property.objects.filter(pk__in=property_ids).update(is_available=available, updated_at=timezone.now())
    evict_recommendations_for_properties(property_ids)
