"""The Grafana dashboard (deploy/grafana/) asks only for metrics the web process and the workers export."""

import json
import re

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

import tasks.observability  # noqa: F401  (declares the task metrics, which workers serve on their port)
from tests.support.workers import REPO

DASHBOARD = REPO / "deploy/grafana/dashboards/luxestate.json"
# What Prometheus adds to a family's name for its samples.
SAMPLE_SUFFIX = re.compile(r"_(total|bucket|count|sum)$")


def queried_families() -> set[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    expressions = [target["expr"] for panel in panels for target in panel["targets"]]
    names = {name for expression in expressions for name in re.findall(r"\b((?:django|luxestate)_\w+)", expression)}
    return {SAMPLE_SUFFIX.sub("", name) for name in names}


@pytest.mark.django_db
def test_every_metric_the_dashboard_queries_is_exported(client):
    client.get("/api/health/")  # django-prometheus declares its HTTP metrics on the first request
    web = {family.name for family in text_string_to_metric_families(client.get("/metrics").content.decode())}
    worker = {family.name for family in REGISTRY.collect() if family.name.startswith("luxestate_celery_task_")}
    assert queried_families() - web - worker == set()
