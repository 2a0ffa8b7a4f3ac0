"""Liveness and readiness: `/api/health/` and `/api/health/ready/` (public).

Readiness asks the three things a request or a task depends on, the database,
the cache and the Celery broker, all at once and within READY_DEADLINE
seconds even when one hangs, and names any that does not answer. Only a dead
database makes the instance unready (503): without a cache requests go to the
database, without a broker operations are recorded and the sweep sends them
later, and a load balancer must not pull every instance for one shared
dependency that is down.
"""

import logging
import os
import threading
import time
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.public import PublicEndpoint
from config.celery import app as celery_app

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"
DEGRADED = "degraded"
UNAVAILABLE = "unavailable"
# API.md: the whole answer within 3 s.
READY_DEADLINE = 2.5
BROKER_TIMEOUT_SECONDS = 1
DATABASE_ALIAS = DEFAULT_DB_ALIAS


def check_database() -> bool:
    try:
        with connections[DATABASE_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    finally:
        # The check runs in a thread of its own: its connection ends with it.
        connections[DATABASE_ALIAS].close()


def check_cache() -> bool:
    # The Redis cache ignores its own errors (a dead Redis is a miss, a set is
    # dropped), so only a value written and read back proves it answers. The
    # key is this probe's own: every instance's probes share the cache, and
    # one key would let a probe read another's value and call the cache down.
    key = f"health:probe:{uuid.uuid4().hex}"
    value = uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    answered = cache.get(key) == value
    cache.delete(key)
    return answered


def check_broker() -> bool:
    timeouts = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": BROKER_TIMEOUT_SECONDS}
    with celery_app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=timeouts
    ) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0.2, timeout=BROKER_TIMEOUT_SECONDS)
        folder = connection.transport_options.get("data_folder_in")
        # Kombu's filesystem transport "connects" without touching the disk:
        # what it needs is its queue folder, present and writable.
        return folder is None or os.access(folder, os.W_OK)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> dict[str, str]:
    """Every check at once, each in a thread of its own; one that has not answered by the deadline is down.

    A check that hangs is left to end by its own socket timeouts: its thread
    holds nothing the next request needs.
    """
    results = dict.fromkeys(CHECKS, DOWN)

    def run(name, check):
        try:
            results[name] = OK if check() else DOWN
        except Exception:
            logger.exception("readiness check %s failed", name)

    threads = [threading.Thread(target=run, args=item, daemon=True, name=f"ready-{item[0]}") for item in CHECKS.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + READY_DEADLINE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    for thread in threads:
        if thread.is_alive():
            logger.error("readiness check %s did not answer within %s s", thread.name, READY_DEADLINE)
    return dict(results)


class PublicServiceView(PublicEndpoint, APIView):
    throttle_classes = []


class HealthView(PublicServiceView):
    @extend_schema(
        summary="Liveness: the process serves requests",
        responses={200: inline_serializer("Health", {"status": serializers.CharField()})},
    )
    def get(self, request):
        return Response({"status": OK})


READINESS_SCHEMA = inline_serializer(
    "Readiness",
    {
        "status": serializers.ChoiceField(choices=[OK, DEGRADED, UNAVAILABLE]),
        "checks": serializers.DictField(child=serializers.ChoiceField(choices=[OK, DOWN])),
    },
)


class ReadinessView(PublicServiceView):
    @extend_schema(
        summary="Readiness: 503 when the database does not answer; a cache or broker down is 'degraded'",
        responses={200: READINESS_SCHEMA, 503: READINESS_SCHEMA},
    )
    def get(self, request):
        checks = run_checks()
        if checks["database"] != OK:
            return Response({"status": UNAVAILABLE, "checks": checks}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(
            {"status": OK if all(result == OK for result in checks.values()) else DEGRADED, "checks": checks}
        )


urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("health/ready/", ReadinessView.as_view(), name="health-ready"),
]
