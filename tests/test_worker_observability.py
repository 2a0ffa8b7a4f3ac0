"""A real worker process: its task's log lines carry the X-Request-ID of the request that started the
operation, as JSON with LOG_FORMAT=json; its own task metrics are read from its metrics port; beat
logs JSON too."""

import json

import pytest

from domain.operations.models import Operation
from tests.support.clients import BOOKING_CREATE_URL, wait_for_operation
from tests.support.factories import PropertyFactory
from tests.support.metrics_text import scrape, value
from tests.support.network import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def json_lines(path) -> list[dict]:
    """The log lines of a process's output (its banner is plain print-outs)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_one_request_id_from_the_request_into_the_workers_log_lines(auth_client, user, start_worker_process):
    worker = start_worker_process("traced", extra_env={"LOG_FORMAT": "json"})

    response = auth_client.post(
        BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk}, HTTP_X_REQUEST_ID="req-followed-42"
    )
    assert wait_for_operation(auth_client, response.json()["status_url"])["status"] == "SUCCEEDED"

    lines = wait_until(
        lambda: [line for line in json_lines(worker.log_path) if line.get("request_id") == "req-followed-42"],
        10,
        "a worker log line with the request id",
        report=worker.log_path.read_text,
    )
    assert {line["operation_id"] for line in lines} == {response.json()["id"]}
    assert {line["user_id"] for line in lines} == {str(user.pk)}


def test_a_workers_task_metrics_are_read_from_its_port(auth_client, start_worker_process, tmp_path):
    port = free_port()
    (metrics_dir := tmp_path / "worker-metrics").mkdir()
    start_worker_process(
        "measured", extra_env={"CELERY_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    )

    for _ in range(2):
        response = auth_client.post(BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk})
        wait_for_operation(auth_client, response.json()["status_url"])

    # The pool's two processes ran them; the main process adds their counts up.
    text = scrape(f"http://127.0.0.1:{port}/")
    task = {"task": "tasks.operations.run_operation"}
    assert value(text, "luxestate_celery_task_runs_total", **task) == 2
    assert value(text, "luxestate_celery_task_duration_seconds_count", **task) == 2
    assert value(text, "luxestate_celery_task_failures_total", **task) is None
    assert Operation.objects.filter(status="SUCCEEDED").count() == 2


def test_beat_logs_one_json_object_per_line(start_beat_process):
    beat = start_beat_process(extra_env={"LOG_FORMAT": "json"})

    [starting] = [line for line in json_lines(beat.log_path) if line["message"].startswith("beat: Starting")]
    assert starting["logger"] == "celery.beat"
    assert starting["level"] == "INFO"
