import io
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from domain.bookings.models import Booking
from domain.properties.models import Category, Property
from domain.users.models import User

PASSWORD = "correct-horse-battery-staple"


def png_upload(name: str = "villa.png") -> SimpleUploadedFile:
    """A real (tiny) PNG file, as a browser would upload it."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    parent = None


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    title = factory.Sequence(lambda n: f"Villa {n}")
    description = "A quiet villa with a view."
    location = "Cox's Bazar"
    price = Decimal("1250000.00")
    bedrooms = 4
    bathrooms = 3
    category = factory.SubFactory(CategoryFactory)
    amenities = factory.LazyFunction(lambda: ["pool", "wifi"])


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    user = factory.SubFactory(UserFactory)
    property = factory.SubFactory(PropertyFactory, is_available=False)
    total_amount = factory.LazyAttribute(lambda b: b.property.price)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))
