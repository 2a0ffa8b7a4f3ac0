"""Telling clients that wait on an operation (long-poll) that it is final: one Redis message after the commit.

The message is only a wake-up call: a waiter reads the operation again from
the database, and one that misses the message still sees the final state at
its next slow look (api/operations/waiting.py). Without a Redis cache (the
embedded stack) nothing is sent and waiters only look now and then.
"""

import logging

from domain.cache_redis import cache_redis

logger = logging.getLogger(__name__)

CHANNEL = "luxestate:operation-final"


def announce_final(operation_id) -> None:
    client = cache_redis()
    if client is None:
        return
    try:
        client.publish(CHANNEL, str(operation_id))
    except Exception:
        # Its waiters see it at their next look, a second later at most.
        logger.warning("could not announce that operation %s is final", operation_id, exc_info=True)
