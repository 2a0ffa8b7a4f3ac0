"""gunicorn settings for the `web` process, all overridable from the environment."""

import multiprocessing
import os

from config.web import WEB_THREADS

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
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Several gunicorns on one machine (make run beside the tests) would otherwise
# share the one default control socket path; nothing here uses gunicornc.
control_socket_disable = True
