"""Behind a TLS-terminating proxy on another host, links are https:// and the admin's CSRF check passes;
without proxies (NUM_PROXIES=0) a client's own X-Forwarded-Proto is never believed, from loopback either.

A real gunicorn with deploy/gunicorn.conf.py, on 127.0.0.1: gunicorn believes X-Forwarded-Proto from
its forwarded_allow_ips whatever Django says, so the requests come from another address (the client
socket bound to 127.0.0.2, as a load balancer on another host) and from loopback.
"""

import re
from http.cookies import SimpleCookie

import pytest

from tests.support.clients import BOOKING_CREATE_URL, token_for
from tests.support.factories import PropertyFactory, UserFactory
from tests.support.gunicorn_server import HOST, LOAD_BALANCER, LOOPBACK, Gunicorn, gunicorn

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

FROM_TLS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}


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
        "POST",
        "/admin/login/",
        LOAD_BALANCER,
        {
            **FROM_TLS,
            "Origin": f"https://{HOST}",
            "Cookie": f"csrftoken={cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        f"csrfmiddlewaretoken={form_token}&username=nobody&password=wrong".encode(),
    )

    # The form again, with its error: the CSRF check (403) let it through.
    assert status == 200, page
    assert b"Please enter the correct username and password" in page
