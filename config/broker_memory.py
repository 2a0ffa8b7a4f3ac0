"""At a worker's start, a warning when the broker's Redis may evict keys under memory pressure.

An evicted key there is a queued task lost, and the eviction policy belongs
to the whole Redis instance: no database number can make a broker that
shares an evicting instance with the cache safe.
"""

import logging

from celery.signals import worker_ready
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@worker_ready.connect
def warn_if_the_broker_may_evict(sender, **kwargs):
    check_broker_eviction_policy(sender.app)


def check_broker_eviction_policy(app) -> None:
    """Log a warning unless the Redis broker of `app` has `maxmemory-policy noeviction`.

    Managed Redis services often refuse CONFIG: then the warning says the
    policy could not be checked. Never raises: the worker starts either way.
    """
    with app.connection_for_write() as connection:
        if connection.transport.driver_type != "redis":
            return
        try:
            policy = connection.default_channel.client.config_get("maxmemory-policy").get("maxmemory-policy")
        except (RedisError, OperationalError, OSError) as error:
            logger.warning(
                "Could not check the broker Redis's maxmemory-policy (%s): make sure it is noeviction, "
                "or queued tasks can be lost under memory pressure.",
                error,
            )
            return
    if policy != "noeviction":
        logger.warning(
            "The broker Redis's maxmemory-policy is %s: under memory pressure it can evict queued tasks. "
            "Give the broker a Redis instance of its own with maxmemory-policy noeviction.",
            policy,
        )
