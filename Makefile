# The two commands: `make run` serves the API with its worker and scheduler,
# `make test` runs the whole suite. Both set up .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 8000
export PORT

.PHONY: install run test test-fast lint format

install: $(INSTALLED)

# Debian's python3 can lack venv (and ensurepip): a failed attempt leaves a
# half-made .venv, so it is removed before python3-venv is installed.
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
	    rm -rf $(VENV); \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
	        && $(PYTHON) -m venv $(VENV); \
	    else \
	        echo "Cannot create $(VENV): install python3-venv (Debian/Ubuntu) and retry." >&2; exit 1; \
	    fi; }

$(INSTALLED): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# A development command, so DEBUG is on unless the environment or .env sets it
# (with DEBUG off SECRET_KEY and the webhook secrets are mandatory); its quotes,
# if .env has any, are dropped, as django-environ drops them.
run: export DEBUG ?= $(or $(shell sed -n 's/^DEBUG=//p' .env 2>/dev/null | tr -d "\"'"),true)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_catalog
	@echo "API docs: http://127.0.0.1:$(PORT)/api/docs/"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start web worker beat

test: install
	bash deploy/ensure_services.sh
	bash deploy/ensure_browser.sh
	$(BIN)/pytest

# The quick lane: no worker, beat, gunicorn or browser processes.
test-fast: install
	bash deploy/ensure_services.sh
	$(BIN)/pytest -m "not processes"

# ruff's lint and format rules (pyproject.toml); `make format` applies them.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
