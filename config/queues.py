"""The Celery queues a worker consumes: every job kind's and the maintenance tasks'.

The Procfile's and the compose file's worker lines name them too (shell, not
Python): tests/test_celery_config.py checks that all of them agree.
"""

WORKER_QUEUES = ("bookings", "payments", "webhooks", "notices", "maintenance")
