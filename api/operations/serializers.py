from django.urls import reverse
from rest_framework import serializers

from api.bookings.serializers import BookingSerializer
from api.payments.serializers import PaymentSerializer
from domain.bookings.models import Booking
from domain.bookings.selectors import bookings_as_shown
from domain.operations.models import Operation
from domain.payments.models import Payment

# How a result is shown, by the model of the row an operation produced
# (OperationKind.result_model): exactly as its own GET endpoint shows it.
RESULT_RENDERING = {
    Booking: (bookings_as_shown(), BookingSerializer),
    Payment: (Payment.objects.all(), PaymentSerializer),
}


class OperationSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = ["id", "kind", "status", "status_url", "result", "error", "created_at", "updated_at"]

    def get_status_url(self, operation) -> str:
        return self.context["request"].build_absolute_uri(reverse("operation-detail", args=[operation.pk]))

    def get_result(self, operation) -> dict | None:
        if operation.status != Operation.Status.SUCCEEDED or operation.result_id is None:
            return None
        queryset, serializer_class = RESULT_RENDERING[operation.declaration.result_model]
        result = queryset.filter(pk=operation.result_id).first()
        return serializer_class(result, context=self.context).data if result else None

    def get_error(self, operation) -> dict | None:
        if operation.status != Operation.Status.FAILED:
            return None
        return {"code": operation.error_code, "detail": operation.error_detail}
