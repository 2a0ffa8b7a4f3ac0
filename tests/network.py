"""Local network addresses for tests (no tests here)."""

import socket

# Nothing listens there: a dependency pointed at it meets a real refused connection, not a mock.
DEAD_REDIS_URL = "redis://127.0.0.1:6390/0"


def free_port() -> int:
    """A local port that nothing listens on now: for a server a test starts, or as a dead address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
