import hashlib
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from domain.errors import DomainError

from .handlers import HANDLERS
from .models import Operation

logger = logging.getLogger(__name__)


class IdempotencyKeyReused(Exception):
    """The caller sent an Idempotency-Key it already used for a different request."""


def request_fingerprint(kind: str, request: dict) -> str:
    canonical = json.dumps({"kind": kind, "request": request}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def start_operation(*, owner, kind: str, request: dict, idempotency_key: str | None = None) -> tuple[Operation, bool]:
    """Record an operation to run; returns (operation, created).

    With an idempotency key already used by this owner for the same request,
    the earlier operation comes back and nothing new is created; for another
    request, IdempotencyKeyReused. The unique constraint settles two
    concurrent first uses of one key.
    """
    fingerprint = request_fingerprint(kind, request)
    fields = {"owner": owner, "kind": kind, "request": request, "request_hash": fingerprint}
    if idempotency_key is None:
        return Operation.objects.create(**fields), True
    try:
        with transaction.atomic():
            return Operation.objects.create(idempotency_key=idempotency_key, **fields), True
    except IntegrityError:
        existing = Operation.objects.get(owner=owner, idempotency_key=idempotency_key)
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused(idempotency_key)
    return existing, False


def claim_operation(operation_id) -> Operation | None:
    """Mark an operation RUNNING for one more attempt; None if there is nothing to run.

    An operation that is final (a duplicate delivery) is left alone; one that
    has used up its attempts (its runs keep dying) ends FAILED.
    """
    with transaction.atomic():
        operation = Operation.objects.select_for_update().filter(pk=operation_id).first()
        if operation is None or operation.is_final:
            return None
        if operation.attempts >= settings.OPERATION_MAX_ATTEMPTS:
            _record_failure(operation, "internal_error", f"Gave up after {operation.attempts} attempts.")
            return None
        operation.status = Operation.Status.RUNNING
        operation.attempts += 1
        operation.save(update_fields=["status", "attempts", "updated_at"])
    return operation


def execute_operation(operation_id) -> Operation | None:
    """Run an operation to its final state; safe to call any number of times.

    Returns the operation if this call finished it, else None.

    The handler's change and the operation's final state commit in one
    transaction that holds the operation's row lock, so of two concurrent
    runs of one operation only the first changes anything. A handler's
    `prepare` step (a call to a payment provider) runs before, with no lock.
    """
    operation = claim_operation(operation_id)
    if operation is None:
        return None
    handler = HANDLERS[operation.kind]
    failure, prepared = None, None
    if handler.prepare is not None:
        try:
            prepared = handler.prepare(operation)
        except DomainError as error:
            failure = error
    with transaction.atomic():
        operation = Operation.objects.select_for_update().get(pk=operation_id)
        if operation.is_final:
            return None
        if failure is None:
            try:
                with transaction.atomic():
                    result = handler.apply(operation, prepared)
            except DomainError as error:
                failure = error
        if failure is None:
            operation.status = Operation.Status.SUCCEEDED
            operation.result_id = result.pk
            operation.save(update_fields=["status", "result_id", "updated_at"])
        else:
            _record_failure(operation, failure.code, failure.detail)
    return operation


def fail_operation(operation_id, code: str, detail: str) -> None:
    """End an operation FAILED unless it is already final (after an unexpected error)."""
    with transaction.atomic():
        operation = Operation.objects.select_for_update().filter(pk=operation_id).first()
        if operation is not None and not operation.is_final:
            _record_failure(operation, code, detail)


def take_stale_operations(older_than, max_redispatches: int) -> list[tuple]:
    """(id, kind) of operations not final and untouched since `older_than`, to dispatch again.

    Their message was lost or their worker died. Each is touched, so that a
    re-dispatched operation still queued is not taken again at the next sweep;
    one whose run holds its lock right now is skipped. One re-dispatched
    `max_redispatches` times already has found no worker that long: it ends
    FAILED, so that its client stops waiting.
    """
    with transaction.atomic():
        stale = Operation.objects.select_for_update(skip_locked=True).filter(
            status__in=[Operation.Status.PENDING, Operation.Status.RUNNING], updated_at__lt=older_than
        )
        for operation in stale.filter(redispatches__gte=max_redispatches):
            logger.error("operation %s found no worker in %d dispatches: giving up", operation.pk, max_redispatches + 1)
            _record_failure(operation, "internal_error", "No worker could run the operation; please try again.")
        retry = list(stale.filter(redispatches__lt=max_redispatches).values_list("pk", "kind"))
        Operation.objects.filter(pk__in=[pk for pk, _ in retry]).update(
            updated_at=timezone.now(), redispatches=F("redispatches") + 1
        )
    return retry


def _record_failure(operation: Operation, code: str, detail: str) -> None:
    operation.status = Operation.Status.FAILED
    operation.error_code = code
    operation.error_detail = detail[:500]
    operation.save(update_fields=["status", "error_code", "error_detail", "updated_at"])
