"""Behind a TLS-terminating proxy on another host, links are https:// and the admin's CSRF check passes;
without proxies (NUM_PROXIES=0) a client's own X-Forwarded-Proto is never believed, from loopback either.

A real gunicorn with deploy/gunicorn.conf.py, on 127.0.0.1: gunicorn believes X-Forwarded-Proto from
its forwarded_allow_ips whatever Django says, so the requests come from another address (the client
socket bound to 127.0.0.2, as a load balancer on another host) and from loopback.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
from contextlib import contextmanager
from http.cookies import SimpleCookie

import pytest

from tests.conftest import BOOKING_CREATE_URL, token_for
from tests.factories import PropertyFactory, UserFactory
from tests.network import DEAD_REDIS_URL, free_port
from tests.waiting import wait_until
from tests.workers import REPO, current_database_url

pytestmark = pytest.mark.django_db(transaction=True)

LOAD_BALANCER, LOOPBACK = "127.0.0.2", "127.0.0.1"
HOST = "api.example.com"
FROM_TLS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}


class Gunicorn:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, source: str, headers: dict | None = None, body: bytes | None = None):
        """(status, headers, body) of one request sent from the address `source`."""
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, source: str, headers: dict | None = None, body: dict | None = None):
        status, response_headers, content = self.request(
            method, path, source, {"Content-Type": "application/json", **(headers or {})},
            json.dumps(body).encode() if body is not None else None,
        )
        return status, response_headers, json.loads(content)


@contextmanager
def gunicorn(tmp_path, num_proxies: int):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": current_database_url(),
        # Operations are recorded without a broker: no message is left for another test's worker.
        "TEST_BROKER_URL": DEAD_REDIS_URL,
        "NUM_PROXIES": str(num_proxies),
        "WEB_CONCURRENCY": "1",
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "deploy/gunicorn.conf.py",
                "-b", f"{LOOPBACK}:{port}",
            ],
            cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Gunicorn(port)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()}")
        try:
            return server.request("GET", "/api/health/", LOOPBACK)[0] == 200
        except OSError:
            return False

    try:
        wait_until(answers, 60, "gunicorn to answer", interval=0.2, report=log_path.read_text)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def behind_a_proxy(tmp_path):
    with gunicorn(tmp_path, num_proxies=1) as server:
        yield server


@pytest.fixture
def without_proxies(tmp_path):
    with gunicorn(tmp_path, num_proxies=0) as server:
        yield server


def links(server: Gunicorn, source: str, headers: dict) -> list[str]:
    """The absolute links the API makes: a page's next, an operation's status_url and Location."""
    PropertyFactory.create_batch(2)
    prop = PropertyFactory()
    token = {"Authorization": f"Bearer {token_for(UserFactory())}"}
    _, _, page = server.json("GET", "/api/properties/?page_size=1", source, headers)
    status, accepted_headers, accepted = server.json(
        "POST", BOOKING_CREATE_URL, source, {**headers, **token}, {"property_id": prop.pk}
    )
    assert status == 202, accepted
    return [page["next"], accepted["status_url"], accepted_headers["Location"]]


def test_behind_a_proxy_on_another_host_links_are_https(behind_a_proxy):
    assert {link.split("://")[0] for link in links(behind_a_proxy, LOAD_BALANCER, FROM_TLS)} == {"https"}


def test_behind_a_proxy_a_plain_http_request_keeps_http_links(behind_a_proxy):
    assert {link.split("://")[0] for link in links(behind_a_proxy, LOAD_BALANCER, {})} == {"http"}


@pytest.mark.parametrize("source", [LOOPBACK, LOAD_BALANCER])
def test_without_proxies_a_clients_forwarded_proto_is_not_believed(without_proxies, source):
    assert {link.split("://")[0] for link in links(without_proxies, source, FROM_TLS)} == {"http"}


def test_behind_a_proxy_the_admin_login_passes_the_csrf_check(behind_a_proxy):
    status, headers, page = behind_a_proxy.request("GET", "/admin/login/", LOAD_BALANCER, FROM_TLS)
    assert status == 200
    cookie = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    status, _, page = behind_a_proxy.request(
        "POST", "/admin/login/", LOAD_BALANCER,
        {
            **FROM_TLS, "Origin": f"https://{HOST}", "Cookie": f"csrftoken={cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        f"csrfmiddlewaretoken={form_token}&username=nobody&password=wrong".encode(),
    )

    # The form again, with its error: the CSRF check (403) let it through.
    assert status == 200, page
    assert b"Please enter the correct username and password" in page
