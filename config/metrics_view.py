"""GET /metrics: Prometheus's text format, to the private network only, or to a holder of METRICS_TOKEN.

The client is who NUM_PROXIES says it is (config/client_address.py): behind
a load balancer every connection comes from a private address, so only the
address the balancer forwarded counts, and the internet never reaches the
metrics through it.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import domain_metrics, multiprocess_metrics
from .client_address import client_address


def is_private(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False  # not an address (a forged X-Forwarded-For): nobody we know
    return parsed.is_loopback or parsed.is_private


def has_token(request) -> bool:
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {settings.METRICS_TOKEN}".encode())


def metrics(request):
    if settings.METRICS_TOKEN:
        if not has_token(request):
            return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    elif not is_private(client_address(request)):
        return HttpResponse(status=403)
    # django-prometheus's and the process's metrics (every gunicorn process's), then the gauges read now.
    body = generate_latest(multiprocess_metrics.registry()) + generate_latest(domain_metrics.registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
