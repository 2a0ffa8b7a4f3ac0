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


# Two errors logged with their exception, as a caller of the cache logs one; what reaches the transport
# (the exception's type, or the line when the report has no exception).
ERRORS_REPORTED = """
import json, logging, django, sentry_sdk
from config.cache_breaker import CacheSkipped
django.setup()
reported = []

class Transport(sentry_sdk.transport.Transport):
    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event:
            reported.append(event.get("exception", {}).get("values", [{}])[-1].get("type") or event["logentry"])

sentry_sdk.get_client().transport = Transport()
for error in (CacheSkipped("not calling the cache"), RuntimeError("a bug")):
    try:
        raise error
    except Exception:
        logging.getLogger("caller").error("it failed", exc_info=True)
sentry_sdk.flush()
print(json.dumps(reported))
"""


def sentry_as_started_with(**env) -> dict:
    return run_with(REPORT, **env)


def run_with(script: str, **env):
    """What `script` prints last, as JSON, run in a fresh process with the environment `env` added."""
    # A DSN of the machine's own environment must not count.
    environment = {name: value for name, value in os.environ.items() if name != "SENTRY_DSN"}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.test_settings", **env}
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.splitlines()[-1])


def test_without_a_dsn_nothing_reports_to_sentry():
    assert sentry_as_started_with()["active"] is False


def test_with_a_dsn_django_and_celery_errors_and_beat_tasks_are_reported():
    sentry = sentry_as_started_with(SENTRY_DSN=DSN)
    assert sentry["active"] is True
    assert {"django", "celery"} <= set(sentry["integrations"])
    assert sentry["monitor_beat_tasks"] is True


def test_a_call_the_cache_breaker_skipped_is_not_reported_and_other_errors_are():
    # The failure that opened the breaker is reported; each call skipped meanwhile would be one more report.
    assert run_with(ERRORS_REPORTED, SENTRY_DSN=DSN) == ["RuntimeError"]
