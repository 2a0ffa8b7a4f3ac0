"""What a notice's email says: plain text and HTML from the templates under templates/notices/."""

from datetime import datetime
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from domain.users.models import User

from .models import Notice, NoticeKind

SUBJECTS = {
    NoticeKind.BOOKING_CONFIRMED: "Your booking of {property_title} is confirmed",
    NoticeKind.BOOKING_PAID: "Your booking of {property_title} is paid",
    NoticeKind.BOOKING_EXPIRING: "Your hold on {property_title} ends soon",
    NoticeKind.BOOKING_EXPIRED: "Your hold on {property_title} has ended",
    NoticeKind.PAYMENT_FAILED: "Your payment for {property_title} did not go through",
    NoticeKind.REFUND_DONE: "Your refund for {property_title} is done",
    NoticeKind.PASSWORD_RESET: "Reset your LuxEstate password",
}


def compose(notice: Notice) -> EmailMultiAlternatives | None:
    """The message `notice` sends; None when it has no address to go to. A password reset's is one
    account's link (services.record_reset_links), made now: it is good for PASSWORD_RESET_TIMEOUT from
    its sending."""
    if not notice.email:
        return None
    if notice.kind == NoticeKind.PASSWORD_RESET:
        return _password_reset_message(notice.recipient, notice.email)
    context = {**notice.context, "expires_at": datetime.fromisoformat(notice.context["expires_at"])}
    return _message(notice.kind, notice.email, context)


def _password_reset_message(user: User, email: str) -> EmailMultiAlternatives:
    link = settings.PASSWORD_RESET_URL.format(
        uid=urlsafe_base64_encode(force_bytes(user.pk)), token=default_token_generator.make_token(user)
    )
    context = {
        "name": user.get_full_name() or user.username,
        "username": user.username,
        "link": link,
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    return _message(NoticeKind.PASSWORD_RESET, email, context)


def _message(kind: NoticeKind, email: str, context: dict) -> EmailMultiAlternatives:
    template = f"notices/{kind.lower()}"
    message = EmailMultiAlternatives(
        subject=_one_line(SUBJECTS[kind].format(**context)),
        body=render_to_string(f"{template}.txt", context),
        to=[formataddr((_one_line(context["name"]), email))],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def _one_line(header: str) -> str:
    # A header with a line break (a name registered with one) is refused by Django on every try
    # (BadHeaderError): the notice would be given up unsent. Its whitespace becomes single spaces.
    return " ".join(header.split())
