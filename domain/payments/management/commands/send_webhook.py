"""Sign and deliver a provider webhook to a running server, for development and demos."""

import json
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from domain.payments.models import Payment, Provider
from domain.payments.providers.base import WEBHOOK_STATUSES
from domain.payments.providers.registry import strategy_for


class Command(BaseCommand):
    help = (
        "Send a signed payment webhook (signed with this settings' webhook secret, exactly as the "
        "provider signs it) to a running server: "
        "manage.py send_webhook --provider STRIPE --booking 12 --status SUCCESS"
    )

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, choices=Provider.values)
        parser.add_argument("--booking", required=True, type=int, help="the booking's id")
        parser.add_argument("--status", required=True, choices=WEBHOOK_STATUSES)
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server's base URL")
        parser.add_argument(
            "--transaction-id", help="default: the transaction of the booking's payment, read from the database"
        )
        parser.add_argument("--event-id", help="default: none, so the event is identified by transaction and status")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the server")

    def handle(self, *args, provider, booking, status, url, transaction_id, event_id, timeout, **options):
        if transaction_id is None:
            payment = Payment.objects.filter(booking_id=booking).first()
            if payment is None:
                raise CommandError(f"Booking {booking} has no payment: initiate one, or pass --transaction-id.")
            if payment.provider != provider:
                # The server would accept the delivery, then reject the event.
                raise CommandError(f"Booking {booking}'s payment is with {payment.provider}, not {provider}.")
            transaction_id = payment.transaction_id
        body = {"booking_id": booking, "transaction_id": transaction_id, "status": status}
        if event_id is not None:
            body["event_id"] = event_id
        raw_body = json.dumps(body).encode()
        strategy = strategy_for(provider)
        headers = {"Content-Type": "application/json", **strategy.sign_webhook(raw_body)}
        endpoint = f"{url.rstrip('/')}/api/payments/webhook/{provider.lower()}/"
        self.stdout.write(f"{strategy.describe()}\nPOST {endpoint}\n{raw_body.decode()}")
        request = urllib.request.Request(endpoint, data=raw_body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status_code, answer = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status_code, answer = error.code, error.read().decode()
        except (urllib.error.URLError, TimeoutError) as error:
            raise CommandError(f"Could not reach {endpoint}: {error}") from error
        self.stdout.write(f"{status_code} {answer}")
        if status_code >= 400:
            raise CommandError(f"The server refused the webhook ({status_code}).")
