"""API clients of the tests' users, and following an operation as a frontend does."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.support.waiting import wait_until

BOOKING_CREATE_URL = "/api/bookings/create/"


def token_for(user) -> str:
    """An access token of `user`."""
    return str(RefreshToken.for_user(user).access_token)


def client_for(user) -> APIClient:
    """An API client that sends `user`'s access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def wait_for_operation(client, status_url: str, timeout: float = 30) -> dict:
    """Poll an operation's status URL, as a frontend does, until it is final."""
    return wait_until(
        lambda: client.get(status_url).json(),
        timeout,
        f"the operation at {status_url} to be final",
        met=lambda body: body["status"] in ("SUCCEEDED", "FAILED"),
    )
