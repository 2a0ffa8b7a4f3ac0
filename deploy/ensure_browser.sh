#!/usr/bin/env bash
# Makes sure the Chromium that the browser tests drive (tests/test_browser_pages.py) is installed:
# Debian's own package, which Playwright is pointed at, so nothing downloads a browser of its own.
# As root on Debian it is installed; elsewhere the script only says that those tests will skip.
set -euo pipefail

if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [[ -n "${CHROMIUM_PATH:-}" ]]; then
    exit 0
fi
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "Installing Chromium for the browser tests..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "Chromium is not installed: the browser tests will skip (install Debian's chromium, or set CHROMIUM_PATH)." >&2
fi
