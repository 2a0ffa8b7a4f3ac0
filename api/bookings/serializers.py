from rest_framework import serializers

from domain.bookings.models import Booking
from domain.limits import MAX_ID
from domain.properties.models import Property


class BookingSerializer(serializers.ModelSerializer):
    property_slug = serializers.CharField(source="property.slug", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id", "property", "property_slug", "user", "total_amount", "status",
            "expires_at", "created_at", "updated_at",
        ]


class BookingCreateSerializer(serializers.Serializer):
    property_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def validate_property_id(self, value):
        # Only existence is checked here; whether it can be booked is decided
        # by the task under the property's lock.
        if not Property.objects.filter(pk=value).exists():
            raise serializers.ValidationError("Property does not exist.")
        return value
