# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
AXE_DIR := .cache/axe

.PHONY: run test install lint format messages bench clean axe

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

## make run: the portal on http://127.0.0.1:8000 with SQLite, no Redis, mails under var/mail/.
run: export DEBUG ?= true
run: $(STAMP)
	@mkdir -p var/mail var/broker var/broker-processed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Chorus Pro on http://127.0.0.1:8000 (mails: http://127.0.0.1:8000/mailbox/). Ctrl-C stops everything."
	@trap 'kill 0' INT TERM EXIT; \
	  $(VENV)/bin/celery -A chorus worker --loglevel INFO --concurrency 2 & \
	  $(VENV)/bin/celery -A chorus beat --loglevel INFO & \
	  $(PY) manage.py runserver 127.0.0.1:8000 & \
	  wait

## make test: lint, migrations check, then the whole suite against PostgreSQL and Redis.
test: $(STAMP) axe
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/check_services.py
	@mkdir -p var
	SECRET_KEY=makemigrations-check $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

## axe-core for the accessibility audit, from the npm registry into a local cache.
axe: $(AXE_DIR)/node_modules/axe-core/axe.min.js
$(AXE_DIR)/node_modules/axe-core/axe.min.js:
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p $(AXE_DIR) && npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@4; \
	else echo "npm not found: the accessibility audit will be skipped"; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make messages: refresh and compile the French catalogue (needs gettext).
messages: $(STAMP)
	DEBUG=true $(PY) manage.py makemessages --locale fr --ignore '.venv/*' --ignore 'var/*' --ignore '.cache/*'
	DEBUG=true $(PY) manage.py makemessages --locale fr --domain djangojs --ignore '.venv/*' --ignore 'var/*' --ignore '.cache/*'
	DEBUG=true $(PY) manage.py compilemessages --locale fr --ignore '.venv/*'

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .cache .pytest_cache
