"""X-Request-ID: a client's safe one kept, or one made; answered, on every log line of the request, and
stored with the operation it started."""

import io
import json
import logging
import re

import pytest

from config.json_logs import JsonFormatter
from config.log_context import ContextFilter
from domain.operations.models import Operation
from tests.support.clients import BOOKING_CREATE_URL
from tests.support.factories import PropertyFactory

pytestmark = pytest.mark.django_db

MADE = re.compile(r"[0-9a-f]{32}")


def test_a_clients_request_id_is_answered_as_it_was_sent(api_client):
    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID="frontend-7f3a:retry/2")
    assert response["X-Request-ID"] == "frontend-7f3a:retry/2"


def test_a_request_without_one_is_answered_with_one_made_for_it(api_client):
    assert MADE.fullmatch(api_client.get("/api/health/")["X-Request-ID"])


@pytest.mark.parametrize("unsafe", ["two words", "x" * 129, "forged\nline", 'quote"d', "caf\u00e9"])
def test_an_unsafe_or_overlong_request_id_is_replaced(api_client, unsafe):
    assert MADE.fullmatch(api_client.get("/api/health/", HTTP_X_REQUEST_ID=unsafe)["X-Request-ID"])


def test_the_operation_a_request_started_keeps_its_request_id(auth_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        response = auth_client.post(
            BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk}, HTTP_X_REQUEST_ID="req-booking-1"
        )
    assert response.status_code == 202
    assert Operation.objects.get(pk=response.json()["id"]).request_id == "req-booking-1"


@pytest.fixture
def json_log_lines():
    """What the root logger writes while the test runs, as settings.LOGGING's json handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.mark.django_db(transaction=True)
def test_every_line_logged_during_a_request_carries_its_ids(auth_client, user, json_log_lines, dead_broker):
    # The dead broker makes the dispatch at the commit, in the request, log its failure.
    response = auth_client.post(
        BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk}, HTTP_X_REQUEST_ID="req-logged-1"
    )

    [line] = [line for line in json_log_lines() if line["message"].startswith("could not publish")]
    assert line["request_id"] == "req-logged-1"
    assert line["user_id"] == str(user.pk)
    assert line["operation_id"] == response.json()["id"]
    assert {"time", "level", "logger"} <= line.keys()


def test_a_line_logged_outside_any_request_has_no_ids(json_log_lines):
    logging.getLogger("luxestate.test").warning("alone")
    [line] = [line for line in json_log_lines() if line["message"] == "alone"]
    assert line.keys() == {"time", "level", "logger", "message"}
