"""Long-poll on the status URL (`Prefer: wait=N`, RFC 7240): wait for an operation to be final, cheaply.

Each web process keeps one Redis subscription (a daemon thread) to the
channel on which workers announce final operations
(domain/operations/final_notices.py); a waiting request sleeps on an Event
that the subscription sets, and looks at the database again only when woken
or, for a message that never came, now and then. How many requests wait at
once in one process is capped below its thread count (LONG_POLL_MAX_WAITERS),
so waiters can never take every thread: past the cap the request is
answered at once.

While the subscription is up, a message is lost only with the worker's
publish (a Redis blip after its commit), so a waiter looks every
SUBSCRIBED_FALLBACK_INTERVAL seconds; every time the subscription is
(re)made, or lost, every waiter looks at once, for the messages sent while
there was none, and without one (no Redis, or while it is being restored)
each looks every FALLBACK_INTERVAL.
"""

import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings

from domain.cache_redis import cache_redis
from domain.operations.final_notices import CHANNEL
from domain.operations.models import Operation

logger = logging.getLogger(__name__)

MAX_WAIT = 20
# Seconds between two looks at the database while no message comes, without
# a subscription and with one.
FALLBACK_INTERVAL = 1.0
SUBSCRIBED_FALLBACK_INTERVAL = 5.0
_WAIT_PREFERENCE = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})\s*(?:$|[,;])", re.IGNORECASE)


def requested_wait(prefer_header: str | None) -> int | None:
    """The seconds a `Prefer` header asks to wait, at most MAX_WAIT; None when it asks nothing we honour."""
    if not prefer_header:
        return None
    match = _WAIT_PREFERENCE.search(prefer_header)
    if match is None or int(match.group(1)) < 1:
        return None
    return min(int(match.group(1)), MAX_WAIT)


class _FinalWaiters:
    """This process's waiting requests, and the one subscription that wakes them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._events: dict[str, set[threading.Event]] = defaultdict(set)
        self._listener: threading.Thread | None = None
        self._subscribed = False
        self._waiting = 0

    @contextmanager
    def slot(self):
        """Yields whether this request may wait: False past LONG_POLL_MAX_WAITERS waiters."""
        with self._lock:
            got = self._waiting < settings.LONG_POLL_MAX_WAITERS
            self._waiting += got
        try:
            yield got
        finally:
            with self._lock:
                self._waiting -= got

    def wait_until_final(self, operation_id, read: Callable[[], Operation], seconds: float) -> Operation:
        """`read()` of the operation `operation_id` once it is final, or as it is after `seconds`.

        The wake-up is registered before the first read, so a message sent
        while it reads is not lost, and one read serves both the first look
        and the check; an error of `read` (a 404) ends the wait at once.
        """
        self._ensure_listener()
        key, woken = str(operation_id), threading.Event()
        with self._lock:
            self._events[key].add(woken)
        deadline = time.monotonic() + seconds
        try:
            while True:
                operation = read()
                remaining = deadline - time.monotonic()
                if operation.is_final or remaining <= 0:
                    return operation
                woken.wait(min(remaining, self._fallback_interval()))
                woken.clear()
        finally:
            with self._lock:
                self._events[key].discard(woken)
                if not self._events[key]:
                    del self._events[key]

    def _fallback_interval(self) -> float:
        return SUBSCRIBED_FALLBACK_INTERVAL if self._subscribed else FALLBACK_INTERVAL

    def _wake(self, key: str) -> None:
        with self._lock:
            for event in self._events.get(key, ()):
                event.set()

    def _subscription_changed(self, subscribed: bool) -> None:
        """Every waiter looks again: at the messages sent while this process had no subscription,
        and then at the pace the new state calls for."""
        self._subscribed = subscribed
        with self._lock:
            for events in self._events.values():
                for event in events:
                    event.set()

    def _ensure_listener(self) -> None:
        with self._lock:
            if self._listener is not None and self._listener.is_alive():
                return
            if cache_redis() is None:
                return
            self._listener = threading.Thread(target=self._listen, name="operation-final-listener", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        while True:
            try:
                subscription = cache_redis().pubsub()
                subscription.subscribe(CHANNEL)
                while True:
                    message = subscription.get_message(timeout=FALLBACK_INTERVAL)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":  # Redis confirmed it: from here on nothing is missed
                        self._subscription_changed(True)
                    elif message["type"] == "message":
                        self._wake(message["data"].decode())
            except Exception:
                self._subscription_changed(False)
                logger.warning("operation-final subscription lost; subscribing again", exc_info=True)
                time.sleep(FALLBACK_INTERVAL)


waiters = _FinalWaiters()
