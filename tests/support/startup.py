"""Starting Django as a production process does, in a subprocess (no tests here)."""

import os
import subprocess
import sys

from tests.support.workers import REPO


def start_django(tmp_path, *command, **env) -> subprocess.CompletedProcess:
    """`manage.py check` (or `command`) on the production settings, as a web or worker process starts."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "startup-test",
        "VAR_DIR": str(tmp_path),
        "STRIPE_WEBHOOK_SECRET": "",
        "BKASH_WEBHOOK_SECRET": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
