from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response

from domain.operations.selectors import operations_of

from .serializers import OperationSerializer


class OperationDetailView(RetrieveAPIView):
    """The status of one of the caller's operations; poll until it is final."""

    serializer_class = OperationSerializer

    def get_queryset(self):
        return operations_of(self.request.user)

    def retrieve(self, request, *args, **kwargs):
        operation = self.get_object()
        response = Response(self.get_serializer(operation).data)
        if not operation.is_final:
            response["Retry-After"] = "1"
        return response
