import io
from datetime import timedelta
from decimal import Decimal
from itertools import count as numbers

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from domain.bookings.models import Booking
from domain.properties.management.commands.seed_catalog import create_category_levels
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


# Bulk rows skip save(), which derives slugs: these numbers keep them unique.
_bulk_numbers = numbers(1)


def create_category_tree(count: int, depth: int) -> list[list[Category]]:
    """`count` categories under one root, `depth` levels deep (the root is
    level 1), the levels as even as the count allows, each node's parent
    picked round-robin from the level above. One bulk_create per level.
    Returns the levels, root first."""
    per_level, extra = divmod(count - 1, depth - 1)
    sizes = [1] + [per_level + (level < extra) for level in range(depth - 1)]
    return create_category_levels(
        sizes, name_of=lambda level, number: f"Level {level} #{number}", slug_of=lambda _: f"tree-{next(_bulk_numbers)}"
    )


def create_properties(categories: list[Category], count: int, **fields) -> list[Property]:
    """`count` properties spread round-robin over `categories`, in one bulk_create."""
    return Property.objects.bulk_create(
        Property(
            title=f"Bulk villa {i}",
            slug=f"bulk-villa-{next(_bulk_numbers)}",
            location="Sylhet",
            price=Decimal("900000.00"),
            category=categories[i % len(categories)],
            **fields,
        )
        for i in range(count)
    )
