from rest_framework import serializers

from domain.properties.models import Category, Property


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent"]


class PropertySerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Property
        fields = [
            "id",
            "title",
            "slug",
            "description",
            "location",
            "price",
            "bedrooms",
            "bathrooms",
            "category",
            "amenities",
            "status",
            "is_available",
            "image_url",
            "created_at",
            "updated_at",
        ]

    def get_image_url(self, obj) -> str | None:
        if not obj.image:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(obj.image.url) if request else obj.image.url
