"""Recording notices, inside the transaction of the change they report."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from domain.bookings.models import Booking
from domain.users.models import User

from .models import Notice, NoticeKind
from .signals import notice_recorded


def queue_notice(
    *, kind: NoticeKind, booking: Booking, amount: Decimal | None = None, about: str = ""
) -> Notice | None:
    """Record the notice of `kind` about `booking` to its user; call in the transaction of the change.

    `amount` is the sum the notice names (a refund's), by default the
    booking's total. `about` names which of the booking's things of this
    kind it tells, when there can be several (each payment's refund).
    Returns None when this booking already had its notice of this kind
    about that: each is sent once.
    """
    user = booking.user
    context = {
        "name": user.get_full_name() or user.username,
        "booking_id": booking.pk,
        "property_title": booking.property.title,
        "amount": str(booking.total_amount if amount is None else amount),
        "expires_at": booking.expires_at.isoformat(),
    }
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                kind=kind, booking=booking, about=about, recipient=user, email=user.email, context=context
            )
    except IntegrityError:
        return None
    notice_recorded.send(sender=Notice, notice=notice)
    return notice


def request_password_reset(*, email: str) -> Notice:
    """Record the notice that mails a reset link to the accounts with `email`, whether there are any or not.

    Nothing here reads the accounts: whether one exists shows neither in the
    answer nor in its time. The worker looks them up when it sends.
    """
    notice = Notice.objects.create(kind=NoticeKind.PASSWORD_RESET, email=email)
    notice_recorded.send(sender=Notice, notice=notice)
    return notice


def record_reset_links(reset: Notice) -> list[Notice]:
    """The notices that answer the password reset `reset`: one per active account with its address,
    each mailing that account its own link, and each sent once however the others fare; recorded by
    the request's first run, found again by a later one (after that run died).

    Not dispatched: the request's run sends them, and the job sweep any it did not.
    """
    # Runs of one request never overlap (its run lock), and the unique constraint holds besides.
    with transaction.atomic():
        links = list(reset.reset_links.order_by("pk"))
        if not links:
            links = [
                Notice.objects.create(
                    kind=NoticeKind.PASSWORD_RESET, reset_request=reset, recipient=user, email=user.email
                )
                for user in _accounts_with(reset.email)
            ]
    return links


def _accounts_with(email: str) -> list[User]:
    # As Django's own PasswordResetForm: active accounts whose password can be reset.
    return [
        user
        for user in User.objects.filter(email__iexact=email, is_active=True).order_by("pk")
        if user.has_usable_password()
    ]
