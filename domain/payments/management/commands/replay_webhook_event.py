"""Give webhook events that were given up (FAILED) to the workers again, once their cause is fixed."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from domain.errors import DomainError
from domain.payments.webhooks import replay_failed_event


class Command(BaseCommand):
    help = (
        "Replay failed webhook events by id (the admin's 'Replay' action does the same): "
        "manage.py replay_webhook_event 12"
    )

    def add_arguments(self, parser):
        parser.add_argument("event_ids", nargs="+", type=int, help="ids of FAILED webhook events")

    def handle(self, *args, event_ids, **options):
        refused = []
        for event_id in event_ids:
            try:
                replay_failed_event(event_pk=event_id, replayed_by=f"{getpass.getuser()} (manage.py)")
            except DomainError as error:
                refused.append(error.detail)
            else:
                self.stdout.write(f"Event {event_id} will be applied again within seconds.")
        if refused:
            raise CommandError(" ".join(refused))
