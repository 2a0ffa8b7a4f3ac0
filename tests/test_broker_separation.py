"""The cache and the broker never share a Redis database, and a worker warns of a broker that may evict."""

import logging

import pytest
import redis

from config.broker_memory import check_broker_eviction_policy
from config.celery import app
from tests.support.redis_servers import own_redis_server
from tests.support.startup import start_django
from tests.support.workers import broker_at

PRODUCTION = {"DEBUG": "false", "STRIPE_WEBHOOK_SECRET": "whsec_x", "BKASH_WEBHOOK_SECRET": "y"}
SHOW_URLS = (
    "shell",
    "-c",
    "from django.conf import settings; print(settings.CACHES['default']['LOCATION'], settings.CELERY_BROKER_URL)",
)


@pytest.mark.parametrize(
    "environment, cache_url, broker_url",
    [
        ({"REDIS_URL": "redis://cache-host:6379/3"}, "redis://cache-host:6379/3", "redis://cache-host:6379/4"),
        (
            {"REDIS_URL": "rediss://:pw@cache-host:6380"},
            "rediss://:pw@cache-host:6380",
            "rediss://:pw@cache-host:6380/1",
        ),
        ({"REDIS_URL": "redis://cache-host:6379/15"}, "redis://cache-host:6379/15", "redis://cache-host:6379/0"),
        (
            {"REDIS_URL": "redis://cache-host:6379/0", "CELERY_BROKER_URL": "redis://broker-host:6379/0"},
            "redis://cache-host:6379/0",
            "redis://broker-host:6379/0",
        ),
    ],
    ids=["next-database", "no-database-given", "after-the-last", "broker-url-set"],
)
def test_with_only_redis_url_the_broker_takes_the_next_database(tmp_path, environment, cache_url, broker_url):
    started = start_django(tmp_path, *SHOW_URLS, **PRODUCTION, **{"CELERY_BROKER_URL": "", **environment})

    assert started.returncode == 0, started.stderr
    assert started.stdout.split()[-2:] == [cache_url, broker_url]


def test_emptying_the_cache_leaves_the_queued_tasks(tmp_path):
    queue_then_clear = (
        "from django.core.cache import cache; from config.celery import app; "
        "app.send_task('tasks.maintenance.expire_stale_bookings', queue='maintenance'); cache.clear()"
    )
    with own_redis_server() as port:
        started = start_django(
            tmp_path,
            "shell",
            "-c",
            queue_then_clear,
            **PRODUCTION,
            REDIS_URL=f"redis://127.0.0.1:{port}/0",
            CELERY_BROKER_URL="",
        )

        assert started.returncode == 0, started.stderr
        assert redis.Redis(port=port, db=1).llen("maintenance") == 1


@pytest.mark.parametrize(
    "options, warning",
    [
        (("--maxmemory-policy", "allkeys-lru"), "The broker Redis's maxmemory-policy is allkeys-lru"),
        # As managed Redis services do: CONFIG is not there to call.
        (("--rename-command", "CONFIG", ""), "Could not check the broker Redis's maxmemory-policy"),
        (("--maxmemory-policy", "noeviction"), None),
    ],
    ids=["evicting", "config-refused", "noeviction"],
)
def test_the_broker_check_warns_unless_the_policy_is_noeviction(caplog, options, warning):
    with own_redis_server(*options) as port, broker_at(f"redis://127.0.0.1:{port}/0"):
        with caplog.at_level(logging.WARNING, logger="config.broker_memory"):
            check_broker_eviction_policy(app)

    warnings = [record.getMessage() for record in caplog.records if record.name == "config.broker_memory"]
    assert [message.startswith(warning) for message in warnings] == ([True] if warning else [])


@pytest.mark.django_db
def test_a_worker_on_an_evicting_broker_warns_as_it_starts(start_worker_process):
    with own_redis_server("--maxmemory-policy", "allkeys-lru") as port:
        worker = start_worker_process(
            "evicting", concurrency=1, extra_env={"TEST_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
        )

        assert "The broker Redis's maxmemory-policy is allkeys-lru" in worker.log_path.read_text()
        worker.stop()
