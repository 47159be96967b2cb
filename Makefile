# Two commands on a fresh machine: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: venv run test fuzz lint format bench browser stop-db migrate seed clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

migrate: venv
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo "Serving on http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all three)."
	honcho start -f Procfile

browser:
	@command -v chromium >/dev/null 2>&1 || command -v /usr/bin/chromium >/dev/null 2>&1 || \
	  { echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
	    || echo "Could not install chromium: browser tests will fail. Install Debian's 'chromium' package."; }

test: venv browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The deep API fuzz (docs/security.md, "API fuzzing"): every operation with schemathesis's coverage phase and 60
# fuzzed cases, as an admin and a client approver, plus linked workflows; prints the requests sent and the failures.
fuzz: venv
	@mkdir -p var
	CMO_FUZZ_DEEP=1 CMO_FUZZ_REPORT=var/fuzz-report.json $(PY) -m pytest -q -p no:randomly tests/test_api_fuzz.py $(PYTEST_ARGS)
	CMO_PROPERTY_DEEP=1 CMO_PROPERTY_EXAMPLES=$${CMO_PROPERTY_EXAMPLES:-5} $(PY) -m pytest -q -p no:randomly tests/test_any_value_renders.py $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	$(PY) -m bench

stop-db: venv
	$(PY) -c "from cmo_portal.embedded_db import stop_embedded; stop_embedded()"

clean:
	rm -rf $(VENV) var staticfiles tests/artifacts
