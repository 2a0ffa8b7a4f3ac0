"""Staff deleting a user or a property, which bookings PROTECT: decided under the locks a booking takes.

The admin's confirmation page checks for bookings when staff open it and again
when they confirm; a booking committed after that check would meet the PROTECT
in the delete itself (a 500). So the delete locks the rows first, as every
booking path does (locks.py), and decides under the locks: a booking made
meanwhile either committed before them, and is seen, or waits for the delete.
All or none: a booking of any of the rows refuses the whole delete.
"""

from django.db import transaction
from django.db.models import QuerySet

from domain.errors import DomainError, ErrorCode
from domain.properties.models import Property
from domain.users.models import User

from .locks import lock_properties, lock_users
from .models import Booking

WHY_A_USER_WITH_BOOKINGS_STAYS = (
    "A user who has bookings cannot be deleted: the bookings are the record of what was booked and paid, "
    "and a pending one holds its property until it ends. To close the account, untick \u201cActive\u201d "
    "on the user's page instead: they can no longer log in, and their pending bookings expire as usual."
)
WHY_A_PROPERTY_WITH_BOOKINGS_STAYS = (
    "A property that has bookings cannot be deleted: the bookings are the record of what was booked and "
    "paid. To take it off the catalog, set its status to Inactive instead: it can no longer be booked."
)


def delete_users_without_bookings(*, user_ids) -> None:
    """Delete the users with what goes with them (operations, notices, tokens), if none has a booking;
    else `user_has_bookings`.

    (A booking run that waits for the user's lock holds its operation's,
    which the delete then waits for: PostgreSQL breaks the run off, the one
    that waited first, and its operation goes with the user.)
    """
    with transaction.atomic():
        lock_users(user_ids)
        _delete_unless_booked(
            User.objects.filter(pk__in=user_ids),
            Booking.objects.filter(user_id__in=user_ids),
            DomainError(ErrorCode.USER_HAS_BOOKINGS, WHY_A_USER_WITH_BOOKINGS_STAYS),
        )


def delete_properties_without_bookings(*, property_ids) -> None:
    """Delete the properties if none has a booking; else `property_has_bookings`."""
    with transaction.atomic():
        lock_properties(property_ids)
        _delete_unless_booked(
            Property.objects.filter(pk__in=property_ids),
            Booking.objects.filter(property_id__in=property_ids),
            DomainError(ErrorCode.PROPERTY_HAS_BOOKINGS, WHY_A_PROPERTY_WITH_BOOKINGS_STAYS),
        )


def _delete_unless_booked(rows: QuerySet, bookings: QuerySet, refusal: DomainError) -> None:
    """Under the rows' locks: delete them, or raise `refusal` if they have bookings."""
    if bookings.exists():
        raise refusal
    rows.delete()
