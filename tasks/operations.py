"""Running operations (queue of their kind: OperationKind.queue)."""

from celery import shared_task

from domain.operations.models import Operation
from domain.operations.services import execute_operation

from .jobs import run_job_task, runs_jobs_of
from .retries import RETRY_TRANSIENT_DATABASE_ERRORS


@runs_jobs_of(Operation)
@shared_task(**RETRY_TRANSIENT_DATABASE_ERRORS)
def run_operation(operation_id: str) -> None:
    run_job_task(Operation, operation_id, execute_operation)
