import logging

from celery import shared_task

from domain.operations.models import Operation
from domain.operations.services import execute_operation, fail_operation

from .retries import RETRY_TRANSIENT_DATABASE_ERRORS, TRANSIENT_DATABASE_ERRORS

logger = logging.getLogger(__name__)

QUEUE_FOR_KIND = {
    Operation.Kind.BOOKING_CREATE: "bookings",
    Operation.Kind.BOOKING_CANCEL: "bookings",
    Operation.Kind.PAYMENT_INITIATE: "payments",
}


def dispatch_operation(operation_id, kind: str, expires: int | None = None) -> None:
    """Queue the run of an operation on the queue for its kind of work;
    `expires` seconds later an unconsumed message is dropped."""
    run_operation.apply_async(args=[str(operation_id)], queue=QUEUE_FOR_KIND[kind], expires=expires)


@shared_task(**RETRY_TRANSIENT_DATABASE_ERRORS)
def run_operation(operation_id: str) -> None:
    try:
        execute_operation(operation_id)
    except TRANSIENT_DATABASE_ERRORS:
        raise
    except Exception:
        logger.exception("operation %s failed with an unexpected error", operation_id)
        fail_operation(operation_id, "internal_error", "The operation failed unexpectedly.")
