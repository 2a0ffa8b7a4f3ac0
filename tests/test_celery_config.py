"""The Celery settings that make delivery at-least-once and safe."""

import yaml

from api.operations.serializers import RESULT_RENDERING
from config.celery import app
from config.queues import WORKER_QUEUES
from domain.errors import ErrorCode
from domain.notices.models import Notice
from domain.operations.kinds import OPERATION_KINDS
from domain.operations.models import Operation
from domain.payments.models import Refund, WebhookEvent
from tasks.jobs import JOB_TASKS
from tasks.maintenance import redispatch_jobs
from tasks.retries import RETRY_TRANSIENT_DATABASE_ERRORS
from tests.support.workers import QUEUES, REPO

JOB_QUEUES = {kind.queue for kind in OPERATION_KINDS.values()} | {WebhookEvent().queue, Notice().queue, Refund().queue}


def test_messages_are_acknowledged_after_the_task_and_requeued_if_the_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_only_json_crosses_the_broker():
    assert app.conf.task_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_every_task_has_time_limits_below_the_visibility_timeout():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_time_limit < app.conf.broker_transport_options["visibility_timeout"]


def test_the_beat_schedule_names_registered_tasks_at_their_intervals(settings):
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule["expire-stale-bookings"]["schedule"] == settings.BOOKING_EXPIRY_INTERVAL
    job_sweep = schedule["redispatch-jobs"]
    assert job_sweep["task"] == redispatch_jobs.name
    assert job_sweep["schedule"] == settings.JOB_SWEEP_INTERVAL
    for entry in schedule.values():
        assert entry["task"] in app.tasks, entry


def test_work_is_routed_to_queues_by_kind():
    assert JOB_QUEUES == {"bookings", "payments", "webhooks", "notices"}
    assert app.conf.task_routes["tasks.maintenance.*"] == {"queue": "maintenance"}


def test_the_stale_sweep_never_resends_a_run_still_alive(settings):
    retries = RETRY_TRANSIENT_DATABASE_ERRORS["max_retries"]
    longest_backoff = sum(2**n for n in range(retries))  # 1 + 2 + 4 + ... s, no jitter
    assert RETRY_TRANSIENT_DATABASE_ERRORS["retry_jitter"] is False
    assert settings.JOB_STALE_AFTER > app.conf.task_time_limit + longest_backoff
    # The task's own retries alone never use up the attempts of an operation, a webhook event or a notice.
    assert settings.OPERATION_MAX_ATTEMPTS > retries + 1
    assert settings.WEBHOOK_MAX_ATTEMPTS > retries + 1
    assert settings.NOTICE_MAX_ATTEMPTS > retries + 1


def test_periodic_runs_queued_while_no_worker_listened_expire(settings):
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["options"]["expires"] == entry["schedule"], entry


def test_every_kind_of_operation_has_a_result_shape_and_declared_codes():
    for kind in OPERATION_KINDS.values():
        assert kind.result_model in RESULT_RENDERING, kind.name
        assert kind.errors <= set(ErrorCode) and ErrorCode.INTERNAL_ERROR not in kind.errors, kind.name


def test_every_kind_of_job_has_a_task():
    assert set(JOB_TASKS) == {Operation, WebhookEvent, Notice, Refund}


def test_the_procfile_and_compose_workers_and_the_test_workers_consume_every_queue():
    used = JOB_QUEUES | {route["queue"] for route in app.conf.task_routes.values()}
    procfile_worker = next(line for line in (REPO / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    compose = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
    compose_worker = compose["services"]["worker"]["command"]

    assert set(WORKER_QUEUES) == used
    for worker_line in (procfile_worker, compose_worker):
        assert set(worker_line.split(" -Q ")[1].split()[0].split(",")) == used, worker_line
    assert set(QUEUES) == used


def test_every_queue_a_worker_consumes_is_measured_by_default(settings):
    assert settings.METRICS_QUEUES == list(WORKER_QUEUES)
