"""What every benchmark starts: its database, a redis-server, gunicorn, a Celery worker; and CPU read from /proc."""

import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def wait_until(ready, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{what} did not start within {seconds} s")


def start_redis() -> tuple[str, subprocess.Popen | None]:
    """A redis-server of the benchmark's own on a free port (so its CPU can be read), unless BENCH_REDIS_URL
    names one."""
    if url := os.environ.get("BENCH_REDIS_URL"):
        return url, None
    if not shutil.which("redis-server"):
        sys.exit("redis-server is not installed: install it or set BENCH_REDIS_URL")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_until(lambda: port_open(port), "redis-server")
    return f"redis://127.0.0.1:{port}/0", server


def configure_environment(*, database_url: str, redis_url: str, **extra: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        # Empty: the settings' own rule, the next database of REDIS_URL (none: the embedded broker).
        CELERY_BROKER_URL="",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key-of-at-least-32-bytes"),
        STRIPE_WEBHOOK_SECRET="bench-only",
        BKASH_WEBHOOK_SECRET="bench-only",
        # The benchmark's own traffic must not be throttled (UserRateThrottle
        # counts anonymous clients too, by address).
        THROTTLE_ANON_RATE="100000000/min",
        THROTTLE_USER_RATE="100000000/min",
        LOG_LEVEL="WARNING",
        **extra,
    )


def start_booking_environment(database_url: str) -> tuple[str, subprocess.Popen | None]:
    """For a bench that books: its database (created if missing), its redis-server (its URL and process
    returned, as start_redis does) and the environment, with the per-user caps raised since each bench
    user books many properties."""
    from catalog_database import create_database_if_missing

    create_database_if_missing(database_url)
    redis_url, redis_server = start_redis()
    configure_environment(
        database_url=database_url,
        redis_url=redis_url,
        BOOKING_MAX_PENDING_PER_USER="1000000",
        BOOKING_REBOOK_COOLDOWN="0",
    )
    return redis_url, redis_server


def start_gunicorn(port: int, workers: int = 2) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "-c",
            "deploy/gunicorn.conf.py",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env={**os.environ, "WEB_CONCURRENCY": str(workers), "GUNICORN_MAX_REQUESTS": "0"},
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until(lambda: get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/api/health/") == 200, "gunicorn")
    return server


# Every queue but `notices`: a booking's notice is recorded and published, not sent.
BOOKING_QUEUES = "bookings,payments,webhooks,maintenance"


def start_worker(
    log_path: Path, concurrency: int = 2, queues: str = BOOKING_QUEUES, include: str | None = None
) -> subprocess.Popen:
    """A Celery worker on `queues` (with the task module `include` imported too), logging each task's
    run (`succeeded in …s`) to `log_path`."""
    log = open(log_path, "w")
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            queues,
            "-c",
            str(concurrency),
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *(["--include", include] if include else []),
        ],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "INFO"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until(lambda: "ready." in log_path.read_text(), "the Celery worker", 60)
    return worker


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    # gunicorn and celery lead sessions of their own: stop their children too.
    leads_a_session = os.getpgid(process.pid) == process.pid
    if leads_a_session:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def get(connection: http.client.HTTPConnection, path: str, headers: dict | None = None) -> int:
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    return response.status


def p99(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[98]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants, now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def database_backends(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark's database now (its persistent connections)."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        return [row[0] for row in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])]


class Sampler:
    """py-spy sampling the given processes until `stop()`; `top()` aggregates their stacks."""

    def __init__(self, pids: list[int], folder: Path):
        self.recorders = []
        for pid in pids:
            output = folder / f"py-spy-{pid}.txt"
            recorder = subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/py-spy"),
                    "record",
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    "--nonblocking",
                    "--gil",
                    "-o",
                    str(output),
                    "-p",
                    str(pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.recorders.append((recorder, output))

    def stop(self) -> None:
        for recorder, _ in self.recorders:
            recorder.send_signal(signal.SIGINT)
        for recorder, _ in self.recorders:
            recorder.wait(timeout=30)

    def top(self, count: int = 15) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(function, share of samples) by self time, and by time including callees."""
        own, inclusive, total = {}, {}, 0
        for _, output in self.recorders:
            if not output.exists():
                continue
            for line in output.read_text().splitlines():
                stack, _, samples = line.rpartition(" ")
                frames = [
                    frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].rstrip(")").split(":")[0]
                    for frame in stack.split(";")
                ]
                total += int(samples)
                own[frames[-1]] = own.get(frames[-1], 0) + int(samples)
                for frame in set(frames):
                    inclusive[frame] = inclusive.get(frame, 0) + int(samples)

        def ranked(counts: dict[str, int]) -> list[tuple[str, float]]:
            return [(name, n / total) for name, n in sorted(counts.items(), key=lambda item: -item[1])[:count]]

        return ranked(own), ranked(inclusive)
