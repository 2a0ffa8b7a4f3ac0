"""Local network addresses for tests (no tests here)."""

import os
import socket
import threading
from contextlib import contextmanager
from urllib.parse import urlparse

# Nothing listens there: a dependency pointed at it meets a real refused connection, not a mock.
DEAD_REDIS_URL = "redis://127.0.0.1:6390/0"


def free_port() -> int:
    """A local port that nothing listens on now: for a server a test starts, or as a dead address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# RabbitMQ, for the tests that run work through it (skipped where none answers).
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def rabbitmq_answers() -> bool:
    address = urlparse(RABBITMQ_URL)
    try:
        with socket.create_connection((address.hostname, address.port or 5672), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def silent_listener():
    """A local address that accepts connections and never answers: a hung server (half-open, behind
    a proxy). Yields its port; every connection it accepted is closed when the block ends."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    acceptor = threading.Thread(target=accept, name="silent-listener", daemon=True)
    acceptor.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        acceptor.join(5)
        for connection in accepted:
            connection.close()
        server.close()
