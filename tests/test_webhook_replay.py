"""Staff replay a webhook event that was given up (FAILED): from the admin or with manage.py."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from domain.bookings.models import Booking
from domain.jobs.sweep import take_orphans
from domain.payments.models import WebhookEvent
from domain.payments.webhooks import apply_webhook_event
from tests.support.payments import booking_with_payment, given_up_event, stored_event

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:payments_webhookevent_changelist")


def replay_in_admin(client, event):
    return client.post(CHANGELIST, {"action": "replay", "_selected_action": [event.pk]}, follow=True)


def test_a_failed_event_replayed_from_the_admin_is_applied_by_the_next_sweep(admin_client):
    booking, event = given_up_event()

    response = replay_in_admin(admin_client, event)

    assert f"Event {event.pk} will be applied again" in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.attempts, event.finished_at) == ("PENDING", 0, None)
    assert "replayed by admin" in event.outcome
    assert event.pk in {job.pk for job in take_orphans(WebhookEvent)}
    assert apply_webhook_event(event.pk).result == WebhookEvent.Result.APPLIED
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PAID


def test_an_applied_event_is_not_replayed(admin_client):
    _, payment = booking_with_payment("STRIPE")
    event = stored_event(payment, "SUCCESS")
    apply_webhook_event(event.pk)

    response = replay_in_admin(admin_client, event)

    assert "Only a failed event can be replayed" in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.result) == ("SUCCEEDED", "APPLIED")


def test_staff_who_may_only_view_events_have_no_replay_action(admin_client, admin_user):
    _, event = given_up_event()
    admin_user.is_superuser = False
    admin_user.save()
    admin_user.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))

    listed = admin_client.get(CHANGELIST)
    replay_in_admin(admin_client, event)

    assert listed.status_code == 200 and 'value="replay"' not in listed.content.decode()
    assert WebhookEvent.objects.get(pk=event.pk).status == "FAILED"


def test_the_command_replays_failed_events_and_refuses_the_others():
    _, failed = given_up_event()
    _, payment = booking_with_payment("BKASH")
    applied = stored_event(payment, "SUCCESS")
    apply_webhook_event(applied.pk)

    with pytest.raises(CommandError, match=f"event {applied.pk} is SUCCEEDED"):
        call_command("replay_webhook_event", str(failed.pk), str(applied.pk))

    assert WebhookEvent.objects.get(pk=failed.pk).status == "PENDING"
    assert WebhookEvent.objects.get(pk=applied.pk).status == "SUCCEEDED"
