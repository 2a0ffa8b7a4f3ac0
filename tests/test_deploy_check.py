"""`manage.py check --deploy` with the production values .env.example documents warns of nothing."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management.utils import get_random_secret_key

from tests.support.startup import start_django
from tests.support.workers import REPO


def documented_production_values() -> dict[str, str]:
    """The `# NAME=value` lines of .env.example's Production section."""
    text = (REPO / ".env.example").read_text()
    section = text.split("# --- Production ", 1)[1].split("\n# --- ", 1)[0]
    return dict(re.findall(r"^# ([A-Z_]+)=(.*)$", section, flags=re.MULTILINE))


def test_the_documented_production_values_pass_the_deploy_check(tmp_path: Path):
    values = documented_production_values()

    checked = start_django(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **values,
        SECRET_KEY=get_random_secret_key(),
        STRIPE_WEBHOOK_SECRET="whsec_x",
        BKASH_WEBHOOK_SECRET="y",
        ALLOWED_HOSTS="api.example.com",
    )

    assert {"DEBUG", "NUM_PROXIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"} <= set(values)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


@pytest.mark.django_db
def test_the_compose_health_check_of_web_is_answered_when_allowed_hosts_names_the_sites_host(client, settings):
    compose = (REPO / "deploy" / "docker-compose.yml").read_text()
    # As docker compose substitutes it, for an operator who set ALLOWED_HOSTS=api.example.com.
    allowed = re.search(r"^  ALLOWED_HOSTS: (.+)$", compose, flags=re.MULTILINE).group(1)
    settings.ALLOWED_HOSTS = re.sub(r"\$\{ALLOWED_HOSTS:-[^}]*\}", "api.example.com", allowed).split(",")
    web = compose.split("\n  web:\n", 1)[1].split("\n\n", 1)[0]
    url = urlsplit(re.search(r"urlopen\('([^']+)'", web).group(1))

    response = client.get(url.path, HTTP_HOST=url.netloc)

    assert response.status_code == 200, response.content


def test_the_compose_file_publishes_only_the_web_port_beyond_this_host():
    # Mailpit's page shows every notice, password-reset links included; Grafana, Prometheus and
    # Flower show what the service does. Only the API is for the network.
    services = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())["services"]
    published = {
        name: port
        for name, service in services.items()
        for port in service.get("ports", [])
        if name != "web" and not port.startswith("127.0.0.1:")
    }

    assert published == {}
