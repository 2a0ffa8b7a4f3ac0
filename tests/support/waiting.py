"""Waiting for something another process or thread does: one poll-until-deadline loop (no tests here)."""

import time


def wait_until(
    condition, timeout: float = 30, what: str = "the condition", *, met=bool, interval: float = 0.1, report=None
):
    """Call `condition()` every `interval` seconds until `met` holds for what it returned (by default:
    until it returns something truthy), and return that value.

    Past `timeout` seconds, fail with an AssertionError naming `what` and the last value seen, followed by
    `report()` where more context helps. An exception `condition` raises ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if met(value):
            return value
        if time.monotonic() > deadline:
            context = f"\n{report()}" if report is not None else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last seen: {value!r}){context}")
        time.sleep(interval)
