"""The web process's thread count, shared by gunicorn's config and the long-poll cap in settings."""

import os

# Threads per gunicorn process: enough that 40 long-polling clients on two
# processes all wait (each waiter holds a thread) with threads to spare.
WEB_THREADS = int(os.environ.get("GUNICORN_THREADS", 32))
