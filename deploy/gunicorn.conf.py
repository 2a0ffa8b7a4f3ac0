"""gunicorn settings for the `web` process, all overridable from the environment."""

import multiprocessing
import os
import shutil
import tempfile

# Metrics in prometheus_client's multiprocess mode: each worker process
# writes its own files and whichever process answers /metrics adds them all
# up. Set before anything imports prometheus_client (it picks its mode then),
# so before config is imported; a directory of this master's own unless given.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="luxestate-web-metrics-")

from config import multiprocess_metrics  # noqa: E402
from config.web import WEB_THREADS  # noqa: E402

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# The usual 2 x cores + 1, capped: past a dozen processes per machine more
# memory buys no throughput, and more instances scale further.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12)))
# Threads let one process overlap requests waiting on PostgreSQL or Redis,
# and hold the long-polling requests (api/operations/waiting.py).
threads = WEB_THREADS
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycling workers now and then bounds the damage of a slow leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = max_requests // 10

# gunicorn believes X-Forwarded-Proto (and so tells Django the request was
# HTTPS) from the addresses here, by default loopback's, even when Django
# does not. So it trusts it exactly when Django does: behind NUM_PROXIES >= 1
# proxies, from whichever address (only the proxies can reach the web
# process then), and otherwise from nobody, loopback included.
forwarded_allow_ips = "*" if int(os.environ.get("NUM_PROXIES", "0")) >= 1 else ""

accesslog = "-"
# gunicorn's default, with the request's X-Request-ID (api/request_id.py) as it was answered.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Several gunicorns on one machine (make run beside the tests) would otherwise
# share the one default control socket path; nothing here uses gunicornc.
control_socket_disable = True


def on_starting(server):
    # An earlier master's files would add dead processes' counts to this one's.
    multiprocess_metrics.empty_directory()


def child_exit(server, worker):
    multiprocess_metrics.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
