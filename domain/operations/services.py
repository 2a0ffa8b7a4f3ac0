"""Recording operations and running them, on the job machinery (domain/jobs)."""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from domain.errors import DomainError, ErrorCode
from domain.jobs.models import JobStatus
from domain.jobs.runs import run_job

from .kinds import OperationKind
from .models import Operation

logger = logging.getLogger(__name__)


def fingerprint(kind: OperationKind, arguments: dict) -> str:
    canonical = json.dumps({"kind": kind.name, "arguments": arguments}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def start_operation(
    *,
    owner,
    kind: OperationKind,
    arguments,
    idempotency_key: str | None = None,
    request_id: str = "",
    admit: Callable[[], None] | None = None,
) -> tuple[Operation, bool]:
    """Record an operation of `kind` to run; returns (operation, created).

    With an idempotency key already used by this owner for the same request,
    the earlier operation comes back and nothing new is created; for another
    request, DomainError(IDEMPOTENCY_KEY_REUSED). The unique constraint
    settles two concurrent first uses of one key. `request_id` (the
    request's X-Request-ID) goes with it into its task's log lines; a replay
    keeps the first request's.

    `admit()` checks a new request against the current state (the edge's
    "does it exist" checks), raising what refuses it. A replay skips it: it
    answers the operation its first request was given, whatever changed
    since (a property staff deleted meanwhile). So with a key it runs after
    the key is claimed, in the claim's transaction, which its refusal rolls
    back: no query more than checking first.
    """
    stored = kind.arguments_as_json(arguments)
    fields = {
        "owner": owner,
        "kind": kind.name,
        "arguments": stored,
        "fingerprint": fingerprint(kind, stored),
        "request_id": request_id,
    }
    if idempotency_key is None:
        if admit is not None:
            admit()
        return Operation.objects.create(**fields), True
    try:
        with transaction.atomic():
            operation = Operation.objects.create(idempotency_key=idempotency_key, **fields)
            if admit is not None:
                admit()
            return operation, True
    except IntegrityError:
        existing = Operation.objects.get(owner=owner, idempotency_key=idempotency_key)
    if existing.fingerprint != fields["fingerprint"]:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED, "This Idempotency-Key was already used with a different request."
        )
    return existing, False


@dataclass(frozen=True)
class _Refused:
    """What `prepare` answered when a rule refused the operation before its change."""

    error: DomainError


def execute_operation(operation_id) -> Operation | None:
    """Run an operation to its final state; safe to call any number of times.

    Returns the operation if this call finished it, else None.
    """
    return run_job(Operation, operation_id, prepare=_prepare, finish=_finish)


def _prepare(operation: Operation):
    kind = operation.declaration
    if kind.prepare is None:
        return None
    try:
        # The operation id is the provider's idempotency key: a redelivered task reuses it.
        return kind.prepare(
            owner=operation.owner,
            arguments=kind.arguments_from_json(operation.arguments),
            idempotency_key=str(operation.pk),
            retry=operation.attempts > 1,
        )
    except DomainError as error:
        return _Refused(error)


def _finish(operation: Operation, prepared) -> None:
    kind = operation.declaration
    if isinstance(prepared, _Refused):
        return _record_refusal(operation, prepared.error)
    try:
        with transaction.atomic():
            result = kind.apply(
                owner=operation.owner, arguments=kind.arguments_from_json(operation.arguments), prepared=prepared
            )
    except DomainError as error:
        if kind.abandon is not None:
            kind.abandon(
                owner=operation.owner,
                arguments=kind.arguments_from_json(operation.arguments),
                prepared=prepared,
                why=error.detail,
            )
        return _record_refusal(operation, error)
    operation.record_final(JobStatus.SUCCEEDED, result_id=result.pk)


def _record_refusal(operation: Operation, error: DomainError) -> None:
    if error.code not in operation.declaration.errors:
        logger.error("%s %s ended with %s, which its kind does not declare", operation.kind, operation.pk, error.code)
    operation.record_failure(error.code, error.detail)
