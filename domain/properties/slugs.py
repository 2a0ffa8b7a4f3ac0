import re

from django.db import IntegrityError, transaction
from django.utils.text import slugify

MAX_ATTEMPTS = 20


def next_free_slug(model, base: str) -> str:
    """`base` when it is free, else `base-N` with N one past the highest suffix in use."""
    taken = set(model.objects.filter(slug__regex=rf"^{re.escape(base)}(-[0-9]+)?$").values_list("slug", flat=True))
    if base not in taken:
        return base
    return f"{base}-{max(int(slug.rsplit('-', 1)[1]) if slug != base else 1 for slug in taken) + 1}"


def save_with_unique_slug(instance, source: str, save, *args, **kwargs):
    """Save `instance`, deriving its slug from `source` when it has none.

    Two concurrent saves can pick the same free slug; the unique index makes
    one of them fail, and that one retries with the next suffix inside a
    savepoint, so the surrounding transaction survives.
    """
    if instance.slug:
        return save(*args, **kwargs)
    max_length = type(instance)._meta.get_field("slug").max_length
    base = slugify(source)[: max_length - 8].strip("-") or "item"
    for _ in range(MAX_ATTEMPTS):
        instance.slug = next_free_slug(type(instance), base)
        try:
            with transaction.atomic():
                return save(*args, **kwargs)
        except IntegrityError:
            if not type(instance).objects.filter(slug=instance.slug).exists():
                instance.slug = ""
                raise
    instance.slug = ""
    raise IntegrityError(f"no free slug for {base!r} after {MAX_ATTEMPTS} attempts")
