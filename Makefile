# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
AXE_DIR := .cache/axe
# The lock: exact pins and hashes of every dependency, transitive ones included, compiled from
# the ranges in pyproject.toml for Python 3.11 on Linux x86_64. base.txt is what runs the portal
# (the Docker image installs it), dev.txt is base.txt plus the dev extra (this venv, CI).
BASE_LOCK := requirements/base.txt
DEV_LOCK := requirements/dev.txt
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

.PHONY: run test coverage install lock lint format messages bench bench-sirene clean axe

## make install: the venv, from the lock only (no resolution), then the project itself, editable.
$(STAMP): pyproject.toml $(BASE_LOCK) $(DEV_LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(STAMP)

## make lock: recompile both lock files from pyproject.toml, keeping the pins that still fit.
## Upgrades: make lock LOCK_ARGS=--upgrade (everything) or LOCK_ARGS='-P django' (one package).
## dev.txt first, then base.txt constrained by it, so both agree on every version they share.
lock: $(STAMP)
	$(PIP_COMPILE) $(LOCK_ARGS) --extra dev --output-file $(DEV_LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(DEV_LOCK) --output-file $(BASE_LOCK) pyproject.toml

## make run: the portal on http://127.0.0.1:8000 with SQLite, no Redis, mails under var/mail/.
run: export DEBUG ?= true
run: export LOG_FORMAT ?= console
run: $(STAMP)
	@mkdir -p var/mail var/broker var/broker-processed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@# A small invented Sirene mirror ("Find my company", look-ups without the stub file).
	@test -f var/sirene/StockEtablissement_utf8.zip || $(PY) manage.py sirene_generate var/sirene --rows 2000
	$(PY) manage.py sirene_import --no-progress var/sirene/StockEtablissement_utf8.zip var/sirene/StockUniteLegale_utf8.zip
	@echo "Chorus Pro on http://127.0.0.1:8000 (mails: http://127.0.0.1:8000/mailbox/). Ctrl-C stops everything."
	@trap 'kill 0' INT TERM EXIT; \
	  $(VENV)/bin/celery -A chorus worker --loglevel INFO --concurrency 2 & \
	  $(VENV)/bin/celery -A chorus beat --loglevel INFO & \
	  $(PY) manage.py runserver 127.0.0.1:8000 & \
	  wait

## make test: lint, migrations check, then the whole suite against PostgreSQL and Redis, in
## TEST_PROCESSES processes (pytest-xdist; each has its own test database and Redis databases,
## see tests/xdist.py). `make coverage` runs it in one process under coverage instead.
TEST_PROCESSES ?= 2
test: $(STAMP) axe
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) scripts/check_services.py
	@mkdir -p var
	SECRET_KEY=makemigrations-check EMAIL_URL=consolemail:// $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --durations=15

## make coverage: the suite in one process under coverage, then the report (even when a test
## fails; pytest's exit status stays make's).
coverage: $(STAMP) axe
	$(VENV)/bin/coverage run -m pytest; status=$$?; \
	  $(VENV)/bin/coverage report --skip-covered --sort=cover || true; \
	  exit $$status

## axe-core for the accessibility audit, from the npm registry into a local cache.
axe: $(AXE_DIR)/node_modules/axe-core/axe.min.js
$(AXE_DIR)/node_modules/axe-core/axe.min.js:
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p $(AXE_DIR) && npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@4; \
	else echo "npm not found: the accessibility audit will be skipped"; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make messages: refresh and compile the French catalogue (needs gettext).
messages: $(STAMP)
	DEBUG=true $(PY) manage.py makemessages --locale fr --ignore '.venv/*' --ignore 'var/*' --ignore '.cache/*'
	DEBUG=true $(PY) manage.py makemessages --locale fr --domain djangojs --ignore '.venv/*' --ignore 'var/*' --ignore '.cache/*'
	DEBUG=true $(PY) manage.py compilemessages --locale fr --ignore '.venv/*'

## make bench: the journey's load benchmark (bench/README.md), then the Sirene mirror's figures
## (bench/sirene.py); PEER=1 runs django-allauth's sign-up beside the journey's.
bench: $(STAMP)
	$(PY) bench/run.py $(if $(filter 1 true yes,$(PEER)),--peer) $(BENCH_ARGS)
	$(PY) bench/sirene.py

bench-sirene: $(STAMP)
	$(PY) bench/sirene.py

clean:
	rm -rf $(VENV) var .cache .pytest_cache .coverage .import_linter_cache
