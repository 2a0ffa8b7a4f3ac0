"""Race tests' helpers: functions run at the same moment, a row held locked by another connection, the
sessions waiting on a lock (no tests here)."""

import threading
import time
from contextlib import contextmanager

from django.db import connection, transaction


def run_at_once(functions, timeout: float = 60) -> list:
    """Run each function in its own thread, all released together by one barrier; return, in order,
    what each function returned or the exception it raised.

    Django keeps one database connection per thread, so the functions really race in PostgreSQL (a
    test's own connection is not shared with them). Each thread closes its connection at the end, so
    that the test database can be dropped. A thread still running after `timeout` seconds fails the
    test with an AssertionError: a hang is reported, never handed back as a missing result.
    """
    functions = list(functions)
    # The barrier gives up first (on half the time), so that threads stuck waiting for a thread that
    # never arrived end with BrokenBarrierError and close their connections.
    barrier = threading.Barrier(len(functions), timeout=timeout / 2)
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except BaseException as error:  # noqa: BLE001 - the caller inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, f), name=f"run_at_once-{i}", daemon=True) for i, f in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [thread.name for thread in threads if thread.is_alive()]
    assert not alive, f"still running after {timeout}s: {alive}"
    return results


@contextmanager
def held_elsewhere(hold, what: str = "the lock"):
    """Enter the context manager `hold()` in another thread, so on another database connection, and
    keep it entered while the block runs: a lock that another process holds."""
    held, release = threading.Event(), threading.Event()

    def keep():
        try:
            with hold():
                held.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=keep, name="held_elsewhere", daemon=True)
    holder.start()
    try:
        assert held.wait(10), f"{what} was not taken"
        yield
    finally:
        release.set()
        holder.join(10)


@contextmanager
def _locked_row(model, pk):
    with transaction.atomic():
        model.objects.select_for_update().get(pk=pk)
        yield


def row_locked(model, pk):
    """Hold a row lock (SELECT ... FOR UPDATE) from another connection while the block runs."""
    return held_elsewhere(lambda: _locked_row(model, pk), "the row lock")


def sessions_waiting_on_a_lock() -> int:
    """How many sessions of the test database wait on a lock right now (a row lock, say)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]
