"""Sending a recorded notice: the mail first, with no lock held, then its record.

The send is the run's `prepare` and the record its `finish`, so a notice is
sent twice only when a worker dies between the two (the SMTP server took the
message, the SUCCEEDED row did not commit): the next run sends it again.
A delivery while another run is alive does nothing (domain/jobs/runs.py).
"""

from django.core.mail import get_connection

from domain.jobs.models import JobStatus
from domain.jobs.runs import run_job

from .messages import compose
from .models import Notice, NoticeKind


def send_notice(notice_pk) -> Notice | None:
    """Send a notice and record that it was; safe to call any number of times.

    Returns the notice if this call finished it, else None. A failed send
    (the SMTP server refused or did not answer) raises: the job is tried
    again later, as its policy says.
    """
    return run_job(Notice, notice_pk, prepare=_send, finish=_record)


def _send(notice: Notice) -> str:
    """Send the notice's messages; returns its outcome."""
    messages = compose(notice)
    if not messages:
        return "no such account" if notice.kind == NoticeKind.PASSWORD_RESET else "no address to send to"
    with get_connection() as connection:
        connection.send_messages(messages)
    return f"sent to {', '.join(address for message in messages for address in message.to)}"[:255]


def _record(notice: Notice, outcome: str) -> None:
    notice.record_final(JobStatus.SUCCEEDED, outcome=outcome)
