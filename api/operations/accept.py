"""Starting an operation from a request: record it, dispatch after commit, answer 202."""

from django.db import transaction
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from domain.operations.services import IdempotencyKeyReused, start_operation
from tasks.operations import dispatch_operation

from .serializers import OperationSerializer

IDEMPOTENCY_HEADER = "Idempotency-Key"


class IdempotencyKeyMismatch(APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_mismatch"


def idempotency_key(request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    # Printable ASCII, as the keys clients make are (UUIDs): a NUL or a
    # surrogate could not even be stored.
    if not 1 <= len(key) <= 255 or not (key.isascii() and key.isprintable()):
        raise serializers.ValidationError({IDEMPOTENCY_HEADER: ["Must be 1 to 255 printable ASCII characters."]})
    return key


def accept_operation(request, kind: str, payload: dict) -> Response:
    """Record an operation of `kind` for the caller and answer 202 with its status URL.

    A replayed Idempotency-Key returns the recorded operation, and no second
    task is dispatched.
    """
    key = idempotency_key(request)
    with transaction.atomic():
        try:
            operation, created = start_operation(
                owner=request.user, kind=kind, request=payload, idempotency_key=key
            )
        except IdempotencyKeyReused:
            raise IdempotencyKeyMismatch() from None
        if created:
            # After the commit, or the worker could look for a row not yet
            # there. Robust: with the broker down the operation is still
            # recorded, and the stale-operation sweep dispatches it later.
            # (A lambda, not a partial: Django logs a failed callback by its
            # __qualname__, which a partial lacks.)
            transaction.on_commit(lambda: dispatch_operation(operation.pk, operation.kind), robust=True)
    data = OperationSerializer(operation, context={"request": request}).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["status_url"]})
