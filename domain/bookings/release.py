from django.db import transaction

from domain.errors import DomainError, ErrorCode
from domain.properties.models import Property
from domain.properties.services import set_property_availability

from .models import Booking


def release_stuck_property(*, property_id: int) -> bool:
    """Make available again a property that is marked unavailable while no booking holds it.

    Only bad data leaves a property so (the booking services free it whenever
    its booking ends): this is staff's repair. Under the property's row lock,
    which every booking path takes first, a booking made or paid meanwhile is
    seen, and refused with `property_held`. Returns whether it changed
    anything (False for a property already available).
    """
    with transaction.atomic():
        locked_property = Property.objects.select_for_update().filter(pk=property_id).first()
        if locked_property is None:
            raise DomainError(ErrorCode.PROPERTY_NOT_FOUND, "Property does not exist.")
        if locked_property.is_available:
            return False
        holder = Booking.objects.filter(property=locked_property, status__in=Booking.HOLDING_STATUSES).first()
        if holder is not None:
            raise DomainError(ErrorCode.PROPERTY_HELD, f"Booking {holder.pk} ({holder.status}) holds this property.")
        set_property_availability([locked_property.pk], available=True)
    return True
