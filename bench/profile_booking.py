"""Where a booking's time goes, in-process, with pyinstrument: the POST, the task, the poll of the final operation.

    .venv/bin/python bench/profile_booking.py [--count 300] [--categories 1000]

Runs on the catalog of bench/bookings.py (seeded here if missing) with a
redis-server of its own; the POSTs go through Django's test client (the
whole middleware and DRF stack, no socket), the task is `run_operation`'s
body called directly, so the profile shows our code, not Celery's loop.
Prints the top of each profile.
"""

import argparse
import os
import sys

from stack import ROOT, start_booking_environment, stop

sys.path.insert(0, str(ROOT))
from bookings import DATABASE_URL, free_property_ids, seed, tokens  # noqa: E402


def profiled(label: str, function, count: int) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(count):
        function()
    profiler.stop()
    print(f"\n===== {label}: {profiler.last_session.duration * 1000 / count:.2f} ms per call (profiled) =====")
    text = profiler.output_text(unicode=False, color=False, short_mode=True, show_all=False)
    print("\n".join(text.splitlines()[:60]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--categories", type=int, default=1_000)
    options = parser.parse_args()
    os.chdir(ROOT)
    _, redis_server = start_booking_environment(f"{DATABASE_URL}_{options.categories}")
    try:
        import django

        django.setup()
        from django.test import Client

        from tasks.operations import run_operation

        seed(options.categories)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens(1)[0]}")
        property_ids = iter(free_property_ids(options.count + 20))
        accepted = []

        def post():
            response = client.post(
                "/api/bookings/create/", {"property_id": next(property_ids)}, content_type="application/json"
            )
            accepted.append(response.json()["id"])

        for _ in range(20):  # warm-up
            post()
        for operation_id in accepted:
            run_operation(operation_id)
        accepted.clear()
        profiled("POST /api/bookings/create/", post, options.count)
        pending = iter(list(accepted))
        profiled("run_operation task body", lambda: run_operation(next(pending)), options.count)
        final_url = f"/api/operations/{accepted[0]}/"
        profiled("GET /api/operations/<id>/ (final)", lambda: client.get(final_url), options.count)
    finally:
        stop(redis_server)


if __name__ == "__main__":
    main()
