"""The migrations say what the models say: a model changed without its migration fails here, not in a deploy."""

from io import StringIO

import pytest
from django.core.management import call_command

# makemigrations reads the applied migrations' history to check for conflicts.
pytestmark = pytest.mark.django_db


def test_every_model_change_has_its_migration():
    output = StringIO()

    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit:  # its way of saying that migrations are missing
        pytest.fail(f"a model changed without its migration:\n{output.getvalue()}")

    assert "No changes detected" in output.getvalue()
