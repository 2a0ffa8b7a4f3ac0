from django.db import transaction

from domain.errors import DomainError, ErrorCode
from domain.users.models import User

from .locks import lock_users
from .models import Booking

WHY_A_USER_WITH_BOOKINGS_STAYS = (
    "A user who has bookings cannot be deleted: the bookings are the record of what was booked and paid, "
    "and a pending one holds its property until it ends. To close the account, untick \u201cActive\u201d "
    "on the user's page instead: they can no longer log in, and their pending bookings expire as usual."
)


def delete_users_without_bookings(*, user_ids) -> None:
    """Delete the users with what goes with them (operations, notices, tokens), if none of them has a booking.

    All or none: a booking of any of them refuses the whole delete with
    `user_has_bookings`. Decided under the users' locks, which a booking
    takes first (locks.py): one made while staff confirmed the delete either
    committed before them, and is seen here, or waits for the delete. (A
    run waiting so holds its operation's lock, which the delete then waits
    for: PostgreSQL breaks the run off, the one that waited first, and its
    operation goes with the user.) Without the locks the check and the
    delete would see two states, and the delete would meet the bookings'
    PROTECT: a 500 for staff.
    """
    with transaction.atomic():
        lock_users(user_ids)
        if Booking.objects.filter(user_id__in=user_ids).exists():
            raise DomainError(ErrorCode.USER_HAS_BOOKINGS, WHY_A_USER_WITH_BOOKINGS_STAYS)
        User.objects.filter(pk__in=user_ids).delete()
