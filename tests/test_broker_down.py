"""With the broker down or hung, accepted work is still recorded at once, and a sweep sends it later."""

import time

import pytest
from django.utils import timezone

from config.celery import app
from domain.notices.models import Notice
from domain.operations.models import Operation
from domain.payments.models import WebhookEvent
from tasks.jobs import dispatch
from tasks.maintenance import redispatch_jobs
from tests.support.clients import BOOKING_CREATE_URL, wait_for_operation
from tests.support.concurrency import run_at_once
from tests.support.factories import PropertyFactory
from tests.support.network import silent_listener
from tests.support.payments import booking_with_payment, post_webhook, webhook_body
from tests.support.workers import broker_at

pytestmark = pytest.mark.django_db


def test_an_operation_is_accepted_and_recorded(auth_client, dead_broker, django_capture_on_commit_callbacks):
    prop = PropertyFactory()

    with django_capture_on_commit_callbacks(execute=True) as dispatches:
        response = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})

    assert len(dispatches) == 1  # the dispatch was tried, and failed
    assert response.status_code == 202
    operation = Operation.objects.get(pk=response.json()["id"])
    assert operation.status == Operation.Status.PENDING  # for the sweep


def test_a_webhook_is_acknowledged_and_stored(api_client, dead_broker, django_capture_on_commit_callbacks):
    _, payment = booking_with_payment("BKASH")

    with django_capture_on_commit_callbacks(execute=True) as dispatches:
        response = post_webhook(api_client, "BKASH", webhook_body(payment, "SUCCESS"))

    assert len(dispatches) == 1
    assert (response.status_code, response.json()) == (200, {"detail": "ok"})
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PENDING  # for the sweep


@pytest.fixture
def hung_broker():
    """Celery's broker accepts connections and never answers (a half-open connection, a stuck proxy)."""
    with silent_listener() as port, broker_at(f"redis://127.0.0.1:{port}/0"):
        yield


def timed(function):
    started = time.monotonic()
    result = function()
    return result, time.monotonic() - started


def test_a_hung_broker_costs_one_request_the_publish_deadline_and_the_next_ones_nothing(
    auth_client, hung_broker, settings, django_capture_on_commit_callbacks
):
    properties = [PropertyFactory() for _ in range(3)]

    def book(prop):
        with django_capture_on_commit_callbacks(execute=True):
            return auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})

    answers = [timed(lambda prop=prop: book(prop)) for prop in properties]

    assert [response.status_code for response, _ in answers] == [202] * 3
    first, *later = [took for _, took in answers]
    assert 0.3 < first < settings.BROKER_PUBLISH_TIMEOUT + 0.5  # it did wait, and no longer than the deadline
    assert all(took < 0.2 for took in later), later  # the breaker is open: no publish tried
    assert set(Operation.objects.values_list("status", flat=True)) == {Operation.Status.PENDING}


def test_publishes_at_once_into_a_hung_broker_each_end_within_the_deadline(hung_broker, settings):
    # More at once than Celery's pool has producers (broker_pool_limit), as a gunicorn process's
    # threads can be: a thread that waited for a producer must not then wait its own deadline too.
    at_once = 4 * app.conf.broker_pool_limit

    answers = run_at_once([lambda: timed(lambda: dispatch(Notice())) for _ in range(at_once)])

    assert [sent for sent, _ in answers] == [False] * at_once
    slowest = max(took for _, took in answers)
    assert slowest < settings.BROKER_PUBLISH_TIMEOUT + 0.5, sorted(took for _, took in answers)


def test_a_webhook_is_acknowledged_within_the_deadline_when_the_broker_hangs(
    api_client, hung_broker, settings, django_capture_on_commit_callbacks
):
    _, payment = booking_with_payment("STRIPE")

    with django_capture_on_commit_callbacks(execute=True):
        response, took = timed(lambda: post_webhook(api_client, "STRIPE", webhook_body(payment, "SUCCESS")))

    assert (response.status_code, response.json()) == (200, {"detail": "ok"})
    assert took < settings.BROKER_PUBLISH_TIMEOUT + 0.5
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_work_accepted_while_the_broker_hung_is_sent_by_the_sweep_once_it_answers(auth_client, celery_worker, settings):
    settings.BROKER_BREAKER_COOLDOWN = 1
    prop = PropertyFactory()
    with silent_listener() as port, broker_at(f"redis://127.0.0.1:{port}/0"):
        accepted = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})
    assert accepted.status_code == 202
    assert redispatch_jobs() == 0  # too early: the message may still be on its way; and the breaker is open

    time.sleep(settings.BROKER_BREAKER_COOLDOWN)
    Operation.objects.update(redispatch_at=timezone.now())
    assert redispatch_jobs() == 1

    assert wait_for_operation(auth_client, accepted["Location"])["status"] == "SUCCEEDED"
