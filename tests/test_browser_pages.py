"""The two pages people use, in a real headless Chromium (Debian's, driven by Playwright) against a real
gunicorn: the API docs list the operations and run a request; a staff member signs in to the admin with
their second factor, finds a given-up webhook event and replays it.

Where Chromium is not installed the tests skip, saying so: deploy/ensure_browser.sh installs it (as
root, on Debian), and `make test` runs that script.
"""

import os
import shutil

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.factories import PASSWORD, UserFactory
from tests.support.gunicorn_server import LOOPBACK, gunicorn
from tests.support.otp import current_token
from tests.support.payments import given_up_event

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (deploy/ensure_browser.sh installs it on Debian, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def site(tmp_path):
    with gunicorn(tmp_path) as server:
        yield f"http://{LOOPBACK}:{server.port}"


def test_the_docs_list_the_operations_and_run_a_request(site, browser):
    page = browser.new_page()
    page.goto(f"{site}/api/docs/")

    paths = page.locator(".opblock-summary-path[data-path]")
    paths.first.wait_for()
    listed = {paths.nth(index).get_attribute("data-path") for index in range(paths.count())}
    assert {"/api/bookings/create/", "/api/operations/{id}/", "/api/properties/", "/api/health/"} <= listed

    health = page.locator(".opblock-get", has=page.locator('[data-path="/api/health/"]'))
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    response = health.locator(".live-responses-table .response")
    response.wait_for()
    assert response.locator(".response-col_status").inner_text().strip() == "200"
    assert '"ok"' in response.locator(".response-col_description").inner_text()


@pytest.fixture
def staff_phone_and_event():
    """Made before the browser starts: Django refuses queries while Playwright's event loop runs."""
    staff = UserFactory(username="ada", is_staff=True, is_superuser=True)
    return TOTPDevice.objects.create(user=staff, name="phone"), given_up_event()[1]


def test_staff_sign_in_with_their_second_factor_and_replay_a_given_up_webhook_event(
    site, staff_phone_and_event, browser
):
    phone, event = staff_phone_and_event
    page = browser.new_page()
    page.goto(f"{site}/admin/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    # The password was right: the form asks which of their devices, and its token.
    page.select_option("#id_otp_device", phone.persistent_id)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", current_token(phone))
    page.click("input[type=submit]")
    page.get_by_role("link", name="Webhook events").click()

    page.fill("#searchbar", event.event_id)
    page.press("#searchbar", "Enter")
    page.check(f"input[name=_selected_action][value='{event.pk}']")
    page.select_option("select[name=action]", "replay")
    page.click("button[name=index]")

    assert f"Event {event.pk} will be applied again within seconds." in page.locator(".messagelist").inner_text()
    # The list it comes back to shows the event waiting for a run again.
    assert page.locator("#result_list tbody tr td.field-status").inner_text() == "Pending"
