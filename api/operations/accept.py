"""Starting an operation from a request: record it, dispatch after commit, answer 202."""

from collections.abc import Callable

from rest_framework import serializers, status
from rest_framework.response import Response

from config import log_context
from domain.operations.kinds import OperationKind
from domain.operations.services import start_operation
from tasks.jobs import dispatch_after_commit

from .serializers import OperationSerializer

IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    # Printable ASCII, as the keys clients make are (UUIDs): a NUL or a
    # surrogate could not even be stored.
    if not 1 <= len(key) <= 255 or not (key.isascii() and key.isprintable()):
        raise serializers.ValidationError({IDEMPOTENCY_HEADER: ["Must be 1 to 255 printable ASCII characters."]})
    return key


def accept_operation(request, *, kind: OperationKind, arguments, admit: Callable[[], None]) -> Response:
    """Record an operation of `kind` for the caller and answer 202 with its status URL.

    `admit()` is the endpoint's check of the request against the current
    state (a 400 or 404 at once); the input's shape is checked before. A
    replayed Idempotency-Key skips it and returns the recorded operation,
    and no second task is dispatched.
    """
    # No transaction of its own: the operation's INSERT commits by itself (one round trip, not
    # three), and the dispatch follows that commit, or an enclosing transaction's.
    operation, created = start_operation(
        owner=request.user,
        kind=kind,
        arguments=arguments,
        idempotency_key=idempotency_key(request),
        request_id=request.request_id,
        admit=admit,
    )
    log_context.bind(operation_id=operation.pk)
    if created:
        dispatch_after_commit(operation)
    data = OperationSerializer(operation, context={"request": request}).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["status_url"]})
