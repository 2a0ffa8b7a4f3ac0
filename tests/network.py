"""Local network addresses for tests (no tests here)."""

# Nothing listens there: a dependency pointed at it meets a real refused connection, not a mock.
DEAD_REDIS_URL = "redis://127.0.0.1:6390/0"
