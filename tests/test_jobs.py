"""The job machinery (domain/jobs), run through each of its users: operations and webhook events."""

import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from domain.jobs.liveness import run_lock
from domain.jobs.retention import purge_finished
from domain.jobs.runs import claim, run_job
from domain.jobs.sweep import take_orphans
from domain.operations.kinds import BOOKING_CREATE, BookingCreateArguments
from domain.operations.models import Operation
from domain.operations.services import start_operation
from domain.payments.models import WebhookEvent
from tests.support.concurrency import held_elsewhere
from tests.support.factories import PropertyFactory, UserFactory
from tests.support.payments import booking_with_payment, stored_event
from tests.support.workers import REPO

pytestmark = pytest.mark.django_db


def an_operation() -> Operation:
    operation, _ = start_operation(
        owner=UserFactory(), kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=PropertyFactory().pk)
    )
    return operation


def a_webhook_event() -> WebhookEvent:
    return stored_event(booking_with_payment()[1], "SUCCESS")


@pytest.fixture(params=[an_operation, a_webhook_event], ids=["operation", "webhook event"])
def new_job(request):
    """Makes a new job of the kind named by the parameter, with `fields` set on its row."""

    def make(**fields):
        job = request.param()
        type(job).objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
        return job

    return make


@contextmanager
def _run_lock_taken(job):
    with run_lock(type(job), job.pk) as got:
        assert got
        yield


def run_lock_held_elsewhere(job):
    """Hold `job`'s run lock from another connection, as a live run in another worker does."""
    return held_elsewhere(lambda: _run_lock_taken(job), "the run lock")


def taken(model) -> set:
    return {job.pk for job in take_orphans(model)}


def test_a_claim_marks_the_job_running_with_one_more_attempt_and_returns_it_so(new_job):
    job = new_job()

    claimed = claim(type(job), str(job.pk))

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("RUNNING", 1)
    assert (claimed.pk, claimed.status, claimed.attempts, claimed.redispatch_at) == (
        job.pk,
        "RUNNING",
        1,
        job.redispatch_at,
    )


def test_a_final_job_is_not_claimed(new_job):
    job = new_job(status="SUCCEEDED", finished_at=timezone.now())

    assert claim(type(job), job.pk) is None
    job.refresh_from_db()
    assert job.attempts == 0


def test_a_job_that_used_up_its_attempts_is_given_up_when_claimed(new_job, settings):
    settings.OPERATION_MAX_ATTEMPTS = settings.WEBHOOK_MAX_ATTEMPTS = 2
    job = new_job(status="RUNNING", attempts=2)

    assert claim(type(job), job.pk) is None
    job.refresh_from_db()
    assert job.status == "FAILED" and job.finished_at is not None


def test_the_sweep_takes_a_running_job_whose_run_died_at_once(new_job):
    job = new_job(status="RUNNING", attempts=1)  # its redispatch_at is still ahead

    assert taken(type(job)) == {job.pk}
    job.refresh_from_db()
    assert job.redispatches == 1


def test_a_job_whose_run_died_is_sent_again_once_and_then_waits_its_turn_like_a_lost_message(new_job):
    job = new_job(status="RUNNING", attempts=1)  # its run died; no worker has taken it up again yet

    assert taken(type(job)) == {job.pk}
    # The next sweeps (every JOB_SWEEP_INTERVAL) find the message just sent still on its way.
    assert taken(type(job)) == set()
    assert taken(type(job)) == set()
    job.refresh_from_db()
    assert job.redispatches == 1 and not job.is_final


def test_an_operation_whose_worker_died_is_not_given_up_by_the_sweeps_of_the_next_minute(settings):
    settings.OPERATION_MAX_REDISPATCHES = 7  # the default: half an hour with no worker for its queue
    operation = an_operation()
    Operation.objects.filter(pk=operation.pk).update(status="RUNNING", attempts=1)  # its worker died

    for _ in range(12):  # a minute of sweeps, every JOB_SWEEP_INTERVAL (5 s), while no worker is back
        take_orphans(Operation)

    operation.refresh_from_db()
    assert not operation.is_final, (operation.redispatches, operation.error_detail)


def test_the_sweep_leaves_a_job_whose_message_may_still_be_on_its_way(new_job):
    job = new_job()

    assert taken(type(job)) == set()


@pytest.mark.django_db(transaction=True)
def test_the_sweep_never_takes_a_job_whose_run_is_alive_however_long_it_runs(new_job):
    job = new_job(status="RUNNING", attempts=1, redispatch_at=timezone.now() - timedelta(days=1))

    with run_lock_held_elsewhere(job):
        assert taken(type(job)) == set()

    assert taken(type(job)) == {job.pk}


@pytest.mark.django_db(transaction=True)
def test_a_delivery_beside_a_live_run_does_nothing(new_job):
    job = new_job()
    finished = []

    with run_lock_held_elsewhere(job):
        assert run_job(type(job), job.pk, finish=lambda *_: finished.append(job)) is None

    job.refresh_from_db()
    assert (job.status, job.attempts, finished) == ("PENDING", 0, [])


def test_final_jobs_past_the_retention_are_purged_in_batches_each_its_own_transaction(new_job, settings):
    settings.OPERATION_RETENTION_DAYS = 7
    old = timezone.now() - timedelta(days=8)
    purged = [new_job(status="SUCCEEDED", finished_at=old) for _ in range(5)]
    kept = [
        new_job(status="SUCCEEDED", finished_at=timezone.now() - timedelta(days=6)),
        new_job(status="PENDING"),
    ]
    model = type(kept[0])

    with CaptureQueriesContext(connection) as queries:
        assert purge_finished(model, batch_size=2) == 5

    deletes = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DELETE")]
    ids_per_delete = [len(re.search(r" IN \(([^)]*)\)", sql).group(1).split(",")) for sql in deletes]
    assert ids_per_delete == [2, 2, 1], deletes
    savepoints = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 3  # one atomic block per batch
    assert not model.objects.filter(pk__in=[job.pk for job in purged]).exists()
    assert model.objects.filter(pk__in=[job.pk for job in kept]).count() == 2


def test_a_failed_operation_is_purged_but_a_failed_webhook_event_is_kept_for_staff(settings):
    old = timezone.now() - timedelta(days=settings.OPERATION_RETENTION_DAYS + 1)
    operation, event = an_operation(), a_webhook_event()
    Operation.objects.filter(pk=operation.pk).update(status="FAILED", finished_at=old)
    WebhookEvent.objects.filter(pk=event.pk).update(status="FAILED", finished_at=old)

    assert purge_finished(Operation) == 1
    assert purge_finished(WebhookEvent) == 0
    assert WebhookEvent.objects.filter(pk=event.pk).exists()


def test_the_retention_cannot_be_set_under_a_day():
    env = {**os.environ, "OPERATION_RETENTION_DAYS": "0"}

    started = subprocess.run(
        [sys.executable, "-c", "import config.test_settings"], cwd=REPO, env=env, capture_output=True, text=True
    )

    assert started.returncode != 0
    assert "OPERATION_RETENTION_DAYS must be at least 1" in started.stderr
