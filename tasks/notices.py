"""Sending notices by email (queue "notices")."""

from celery import shared_task

from domain.notices.models import Notice
from domain.notices.sending import send_notice as send_notice_service

from .jobs import dispatch_after_commit, run_job_task, runs_jobs_of
from .retries import RETRY_TRANSIENT_DATABASE_ERRORS


@runs_jobs_of(Notice)
@shared_task(**RETRY_TRANSIENT_DATABASE_ERRORS)
def send_notice(notice_pk: str) -> None:
    run_job_task(Notice, notice_pk, send_notice_service)


def dispatch_recorded_notice(sender, notice: Notice, **kwargs) -> None:
    """Receiver of domain.notices.signals.notice_recorded: queue the notice once its change commits."""
    dispatch_after_commit(notice)
