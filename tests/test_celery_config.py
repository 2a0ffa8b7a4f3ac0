"""The Celery settings that make delivery at-least-once and safe."""

from config.celery import app


def test_messages_are_acknowledged_after_the_task_and_requeued_if_the_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_only_json_crosses_the_broker():
    assert app.conf.task_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_every_task_has_time_limits_below_the_visibility_timeout(settings):
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_time_limit < app.conf.broker_transport_options["visibility_timeout"]


def test_the_beat_schedule_names_registered_tasks(settings):
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule["expire-stale-bookings"]["schedule"] == settings.BOOKING_EXPIRY_INTERVAL
    for entry in schedule.values():
        assert entry["task"] in app.tasks, entry


def test_work_is_routed_to_queues_by_kind():
    from tasks.operations import QUEUE_FOR_KIND

    assert set(QUEUE_FOR_KIND.values()) == {"bookings", "payments"}
    assert app.conf.task_routes["tasks.maintenance.*"] == {"queue": "maintenance"}
