from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from domain.bookings.models import Booking
from domain.limits import MAX_ID
from domain.payments.models import Payment
from domain.properties.models import Property


class BookingPaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "provider", "status", "amount", "refunded_amount", "transaction_id"]


class BookingSerializer(serializers.ModelSerializer):
    """A booking as read by `domain.bookings.selectors.bookings_as_shown`."""

    property_slug = serializers.CharField(read_only=True)
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "property",
            "property_slug",
            "user",
            "total_amount",
            "status",
            "expires_at",
            "payment",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(BookingPaymentSerializer(allow_null=True))
    def get_payment(self, booking) -> dict | None:
        # Its current payment, the newest; from the prefetched list when the selector gave one.
        current = next(iter(booking.payments.all()), None)
        return BookingPaymentSerializer(current).data if current is not None else None


class BookingCreateSerializer(serializers.Serializer):
    property_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def admit(self) -> None:
        # Only existence is checked here; whether it can be booked is decided
        # by the task under the property's lock. Not a field validator: a
        # replayed Idempotency-Key skips it (accept_operation).
        if not Property.objects.filter(pk=self.validated_data["property_id"]).exists():
            raise serializers.ValidationError({"property_id": ["Property does not exist."]})
