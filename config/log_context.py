"""What a log line says about the work it belongs to: the request id, the operation, the user.

Context variables, so that each request (a gunicorn thread) and each task
(a worker process) sees its own values, and a logging filter that copies
them onto every record, whichever logger wrote it.
"""

import logging
from contextvars import ContextVar

FIELDS = ("request_id", "operation_id", "user_id")

_values = {name: ContextVar(name, default=None) for name in FIELDS}


def current(name: str):
    return _values[name].get()


def bind(**values) -> None:
    """Set the named fields for the rest of this request or task."""
    for name, value in values.items():
        _values[name].set(None if value is None else str(value))


def clear() -> None:
    """Forget every field: a worker process runs one task after another in one context."""
    for variable in _values.values():
        variable.set(None)


class ContextFilter(logging.Filter):
    """Puts the current request id, operation id and user id on each record, those that are known
    (the formatters say what an unknown one looks like)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in _values.items():
            if (value := variable.get()) is not None:
                setattr(record, name, value)
        return True
