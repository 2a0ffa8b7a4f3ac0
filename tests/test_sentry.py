"""Error reports go to Sentry only when SENTRY_DSN is set: read in a fresh process, as each of web,
worker and beat reads its settings once at start."""

import json
import os
import subprocess
import sys

from tests.support.workers import REPO

# Where the client would send: nothing is sent at start-up, so nothing needs to listen.
DSN = "http://public-key@127.0.0.1:9/42"

REPORT = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
print(json.dumps({
    "active": client.is_active(),
    "integrations": sorted(client.integrations),
    "monitor_beat_tasks": getattr(client.integrations.get("celery"), "monitor_beat_tasks", None),
}))
"""


def sentry_as_started_with(**env) -> dict:
    # A DSN of the machine's own environment must not count.
    environment = {name: value for name, value in os.environ.items() if name != "SENTRY_DSN"}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.test_settings", **env}
    output = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=REPO, env=environment, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.splitlines()[-1])


def test_without_a_dsn_nothing_reports_to_sentry():
    assert sentry_as_started_with()["active"] is False


def test_with_a_dsn_django_and_celery_errors_and_beat_tasks_are_reported():
    sentry = sentry_as_started_with(SENTRY_DSN=DSN)
    assert sentry["active"] is True
    assert {"django", "celery"} <= set(sentry["integrations"])
    assert sentry["monitor_beat_tasks"] is True
