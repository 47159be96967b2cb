# Two commands on a fresh machine: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: venv run test fuzz lint format bench browser gettext messages stop-db migrate seed clean

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
	@mkdir -p var  # beat keeps its schedule file there (absent on a fresh checkout using DATABASE_URL)
	honcho start -f Procfile

browser:
	@command -v chromium >/dev/null 2>&1 || command -v /usr/bin/chromium >/dev/null 2>&1 || \
	  { echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
	    || echo "Could not install chromium: browser tests will fail. Install Debian's 'chromium' package."; }

# GNU gettext: tests/test_i18n.py runs makemessages (xgettext, msgmerge) and msgfmt. Running the portal needs none
# of it: the compiled catalogs (locale/*/LC_MESSAGES/django.mo) are committed.
gettext:
	@command -v msgfmt >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 || \
	  { echo "Installing GNU gettext for the translation test..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null) \
	    || echo "Could not install gettext: tests/test_i18n.py will fail. Install Debian's 'gettext' package."; }

# German and French (docs/architecture.md, "Languages"): collect the marked strings into locale/{de,fr}, translate
# what is new in the .po files (no entry may stay empty or fuzzy), then run this again to compile the .mo files.
# The ignore list is tests/test_i18n.py's MAKEMESSAGES_IGNORE.
messages: venv gettext
	$(PY) manage.py makemessages -l de -l fr --no-obsolete \
	  --ignore=var --ignore=static --ignore=staticfiles --ignore=tests --ignore=bench --ignore=docs --ignore=locale
	$(PY) manage.py compilemessages -l de -l fr --ignore=.venv --ignore=var

test: venv browser gettext
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
