"""The web process's thread count, shared by gunicorn's config and the long-poll cap in settings."""

import os

# Threads per gunicorn process: enough that 40 long-polling clients all wait
# (each waiter holds a thread) with threads to spare, even when the kernel
# hands most connections to one of two processes (it does not balance them).
WEB_THREADS = int(os.environ.get("GUNICORN_THREADS", 64))
