"""A circuit breaker: after a call to a dependency failed, a process stops calling it for a cool-down,
so that a dependency that hangs costs one call its timeout, and the calls after it nothing."""

import time

from django.conf import settings


class Breaker:
    """Open for the setting `cooldown_setting`'s seconds after `trip()` (read at each trip)."""

    def __init__(self, cooldown_setting: str):
        self._cooldown_setting = cooldown_setting
        self._open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    @property
    def cooldown(self) -> float:
        return getattr(settings, self._cooldown_setting)

    def trip(self) -> None:
        self._open_until = time.monotonic() + self.cooldown

    def reset(self) -> None:
        self._open_until = 0.0
