"""Sending a recorded notice: the mail first, with no lock held, then its record.

The send is the run's `prepare` and the record its `finish`, so a notice is
sent twice only when a worker dies, or loses its database connection (and
with it its run lock), between the two (the SMTP server took the message,
the SUCCEEDED row did not commit): the next run sends it again.
A delivery while another run is alive does nothing (domain/jobs/runs.py).
Each notice is one mail, so that a failed send is tried again without
sending again what went through: a password reset for an address several
accounts have is answered by a notice per account (services.record_reset_links).
"""

import logging

from domain.jobs.models import JobStatus
from domain.jobs.runs import run_job

from .messages import compose
from .models import Notice, NoticeKind
from .services import record_reset_links

logger = logging.getLogger(__name__)


def send_notice(notice_pk) -> Notice | None:
    """Send a notice and record that it was; safe to call any number of times.

    Returns the notice if this call finished it, else None. A failed send
    (the SMTP server refused or did not answer) raises: the job is tried
    again later, as its policy says.
    """
    return run_job(Notice, notice_pk, prepare=_send, finish=_record)


def _send(notice: Notice) -> str:
    """Send the notice's message; returns its outcome."""
    if notice.kind == NoticeKind.PASSWORD_RESET and notice.recipient_id is None:
        return _send_reset_links(notice)
    message = compose(notice)
    if message is None:
        return "no address to send to"
    message.send()
    return f"sent to {', '.join(message.to)}"[:255]


def _send_reset_links(reset: Notice) -> str:
    """Record the reset's links, one notice per account with its address, and give each its first send.

    A link the SMTP server refused or did not answer is left to attempts of its own, like any notice
    (its run set it PENDING; the job sweep sends it): this run still tries the others, and ends. Failed
    as well, it would be tried again and try the link again, beside the link's own retries.
    """
    links = record_reset_links(reset)
    if not links:
        return "no such account"
    for link in links:
        try:
            send_notice(link.pk)
        except OSError:  # smtplib's errors, a refused connection, a timeout
            logger.warning("Notice %s, a password reset link, was not sent: tried again later", link.pk, exc_info=True)
    return f"one link per account: notices {', '.join(str(link.pk) for link in links)}"[:255]


def _record(notice: Notice, outcome: str) -> None:
    notice.record_final(JobStatus.SUCCEEDED, outcome=outcome)
