from rest_framework import serializers

from domain.bookings.selectors import bookings_of
from domain.limits import MAX_ID
from domain.payments.models import Payment, Provider

MAX_PAYLOAD_OPTIONS = 20


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "booking",
            "provider",
            "status",
            "transaction_id",
            "amount",
            "refunded_amount",
            "raw_response",
            "created_at",
            "updated_at",
        ]


class PaymentInitiateSerializer(serializers.Serializer):
    booking_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    provider = serializers.ChoiceField(choices=Provider.choices)
    # Options for the provider (for Stripe `receipt_email`, for bKash
    # `payerReference`...); the provider itself refuses those it does not know.
    payload = serializers.DictField(child=serializers.CharField(max_length=500), required=False, default=dict)

    def validate_payload(self, value):
        if len(value) > MAX_PAYLOAD_OPTIONS:
            raise serializers.ValidationError(f"At most {MAX_PAYLOAD_OPTIONS} options.")
        for key in value:
            if not 1 <= len(key) <= 64 or not key.isprintable():
                raise serializers.ValidationError("Keys must be 1 to 64 printable characters.")
        return value

    def admit(self) -> None:
        # Someone else's booking is "not found": its existence is not revealed.
        # Whether it can still be paid is decided by the task under its lock.
        # Not a field validator: a replayed Idempotency-Key skips it (accept_operation).
        if not bookings_of(self.context["request"].user).filter(pk=self.validated_data["booking_id"]).exists():
            raise serializers.ValidationError({"booking_id": ["Booking not found."]})
