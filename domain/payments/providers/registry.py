"""Which strategy serves which provider: settings.PAYMENT_STRATEGIES maps a provider to a class path."""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import PaymentStrategy


def strategy_for(provider: str) -> PaymentStrategy:
    try:
        path = settings.PAYMENT_STRATEGIES[provider]
    except KeyError:
        raise ImproperlyConfigured(f"PAYMENT_STRATEGIES names no strategy for provider {provider!r}.") from None
    return _strategy_class(path)()


@lru_cache
def _strategy_class(path: str) -> type[PaymentStrategy]:
    return import_string(path)
