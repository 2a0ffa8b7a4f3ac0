from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response

from domain.operations.selectors import operations_of

from .serializers import OperationSerializer
from .waiting import requested_wait, waiters


class OperationDetailView(RetrieveAPIView):
    """The status of one of the caller's operations; poll until it is final, or long-poll with `Prefer: wait=N`."""

    serializer_class = OperationSerializer

    def get_queryset(self):
        return operations_of(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Prefer",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="`wait=N` (1 to 20): answer as soon as the operation is final, or after N seconds.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        wait = requested_wait(request.headers.get("Prefer"))
        applied = False
        if wait is None:
            operation = self.get_object()
        else:
            with waiters.slot() as may_wait:
                if may_wait:
                    operation = waiters.wait_until_final(kwargs["pk"], self.get_object, wait)
                    applied = True
                else:
                    operation = self.get_object()
                    applied = operation.is_final
        response = Response(self.get_serializer(operation).data)
        if applied:
            response["Preference-Applied"] = f"wait={wait}"
        if not operation.is_final:
            response["Retry-After"] = "1"
        return response
