"""X-Request-ID: the client's (when it is short and safe) or one made here, answered and put in every log line.

The id is bound to this request's context (config/log_context.py), so every
line logged while it runs carries it, and an operation it starts stores it
for its task's log lines in the worker.
"""

import re
import uuid

from config import log_context

HEADER = "X-Request-ID"
# What a log line, a header and a database column can hold as they are: no
# spaces, quotes or control characters that could forge another log line.
_SAFE = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


def request_id_from(request) -> str:
    """The client's X-Request-ID if it is 1 to 128 safe characters, else a new one (a uuid4 in hex)."""
    given = request.headers.get(HEADER, "")
    return given if _SAFE.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request)
        log_context.bind(request_id=request.request_id)
        try:
            response = self.get_response(request)
        finally:
            # A gunicorn thread serves one request after another: nothing after this one is its.
            log_context.clear()
        response[HEADER] = request.request_id
        return response
