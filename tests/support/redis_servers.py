"""A redis-server of a test's own, on a free port: never the shared one (no tests here)."""

import shutil
import subprocess
from contextlib import contextmanager

import pytest
import redis

from tests.support.network import free_port
from tests.support.waiting import wait_until


@contextmanager
def own_redis_server(*options: str):
    """Start `redis-server` with `options` (e.g. "--maxmemory-policy", "allkeys-lru"); yield its port; stop it."""
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *options],
        stdout=subprocess.DEVNULL,
    )

    def answers() -> bool:
        try:
            return redis.Redis(port=port).ping()
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, 5, f"the redis-server on port {port} to answer", interval=0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def redis_cache_at(port: int) -> dict:
    """CACHES for django-redis on the redis-server at `port`: the settings' timeouts, not their breaker."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }


def redis_cli(port: int, *command: str) -> None:
    """Run `command` on the redis-server at `port` through redis-cli."""
    subprocess.run(["redis-cli", "-p", str(port), *command], check=True, capture_output=True)


def shut_down_redis(port: int) -> None:
    # redis-cli, not redis-py: redis-py retries the connection SHUTDOWN closes, for seconds.
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False, capture_output=True)
