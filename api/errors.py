from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from domain.errors import DomainError, ErrorCode

# The HTTP answer of a refusal a request meets at once; any other code is a 400.
# (An operation's refusals are no HTTP error: its status URL shows them.)
HTTP_STATUS = {
    ErrorCode.CATEGORY_NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


def exception_handler(exc, context):
    """DRF's handler, plus a DomainError as its code says, and Django's ValidationError as a 400 instead of a 500."""
    if isinstance(exc, DomainError):
        return Response(
            {"detail": exc.detail, "code": exc.code}, status=HTTP_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST)
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


# Errors Django answers itself, before any DRF view: a URL that matches no
# route, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, an uncaught exception. Under
# /api/ they are JSON too, in the shape of every other error.


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if _is_api(request):
        too_large = isinstance(exception, RequestDataTooBig)
        return JsonResponse({"detail": "The request body is too large." if too_large else "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
