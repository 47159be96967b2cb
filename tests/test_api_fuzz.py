"""API fuzz: every operation of ``/api/v1/``, generated from its OpenAPI schema, with every schemathesis check.

CONVENTIONS: "Bad input gets a clear message (a JSON field map) and changes nothing. Never a 500." Issue 12: the
schema tells the truth (documented status codes, content types, headers and bodies) and invalid data is refused.

How it works
------------
- The schema is the one the app serves (``/api/v1/schema/?format=json``), loaded by schemathesis from a
  ``WSGIHandler`` built here, in-process (``cmo_portal/wsgi.py`` is not imported: it would switch the settings to
  production). It is loaded at import (that request touches no database): schemathesis's lazy
  ``from_fixture`` loader does not work with pytest 9.2 (``'Function' object has no attribute '_nodeid'``).
  If it cannot be loaded, ``test_api_schema_loads`` fails with the reason (the rest of the suite still runs).
- One test per operation, e.g. ``test_api_fuzz[POST /api/v1/projects/]``: every operation in the schema,
  ``auth/token/`` included, with valid and invalid inputs (schemathesis's examples and fuzzing phases,
  ``MAX_EXAMPLES`` cases each). Each case is sent twice, as an administrator and as client A's approver
  (``approver_a``), each with an API token of its own, and each answer goes through **every check schemathesis
  4.32 has** (``CHECKS``): no 5xx, status code, content type, headers and body as documented, invalid data refused
  (``negative_data_rejection``), valid data accepted (``positive_data_acceptance``), a missing required header
  refused, an undeclared method answered 405 with ``Allow``, authentication enforced (``ignored_auth``: the same
  request without and with a wrong token must be refused), ``use_after_free``, ``ensure_resource_availability``
  and ``object_level_authorization`` (these three act on the stateful test below). Two settings are the app's
  documented answers, not defaults (docs/security.md, "API fuzzing"): a valid request may get a 400 (a business
  rule the schema cannot state: a target date before the start, a state transition, a duplicate number…), and a
  missing ``If-Match`` answers 428 (403 first for a role that may not edit).
- ``test_api_workflows`` runs schemathesis's stateful phase: sequences of calls linked by the ids the API returns
  (a POST then GETs and PATCHes of what it created), as the administrator, with every check.
- Not fuzzed: ``schema/``, ``docs/`` and ``redoc/`` — they are not API data endpoints and drf-spectacular leaves
  them out of the schema (``SERVE_INCLUDE_SCHEMA = False``). Nothing else is excluded.
- Generated integers are mostly aimed at records that exist (both tenants'): the ``{id}`` path parameter and the
  reference fields of bodies and query filters (``REFERENCES``), so requests get past "not found" into
  validation and the services. Half the passwords are the real one (signatures, token) and, on ``auth/token/``,
  most usernames a real user's. A PUT/PATCH that sends ``If-Match`` on an existing record sends its current ETag
  (otherwise every write stops at 412).
- Each request runs in a savepoint rolled back afterwards: every case starts from the same data, and a statement
  the database rejects cannot poison the test's transaction (in production, with ``ATOMIC_REQUESTS`` off, it does
  not outlive its request either). As Django's own test client does, the handler is kept from closing the test's
  connection at the end of each request.
- A 500's server-side traceback (``got_request_exception``) is added to the failure report, which also gives the
  case as a curl command.
- Every request the app receives is counted (``request_started``); the count, the failures and the time are
  printed at the end of the run (and written to ``$CMO_FUZZ_REPORT`` when set: ``make fuzz``).

Deterministic by default (a fixed seed). ``CMO_FUZZ_SEED=<int>`` explores other inputs; ``CMO_FUZZ_DEEP=1``
(``make fuzz``) adds schemathesis's coverage phase (boundary and wrong-type values, missing fields and headers,
undeclared methods) and ``MAX_EXAMPLES`` fuzzed cases per operation, and more workflows: over 10,000 requests.
"""

import atexit
import json
import os
import tempfile
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.stateful import run_state_machine_as_test
from werkzeug.test import Client

from clients.models import User
from tests.api_records import ApiRecords, existing_records
from tests.clients.factories import PASSWORD

SCHEMA_URL = "/api/v1/schema/?format=json"
API_PREFIX = "/api/v1/"
DEEP = os.environ.get("CMO_FUZZ_DEEP") == "1"
MAX_EXAMPLES = int(os.environ.get("CMO_FUZZ_EXAMPLES", "60" if DEEP else "5"))
WORKFLOWS = int(os.environ.get("CMO_FUZZ_WORKFLOWS", "150" if DEEP else "10"))
SEED = int(os.environ.get("CMO_FUZZ_SEED", "20260"))

load_all_checks()
CHECKS_USED = CHECKS.get_all()  # every check schemathesis has, none left out
CHECKS_CONFIG = {
    # A schema-valid request may break a rule OpenAPI cannot state (cross-field dates, states, uniqueness): 400.
    "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]},
    # Without If-Match a versioned update answers 428 Precondition Required (docs/api.md); a caller whose role may
    # not edit gets 403 first (authorization comes before preconditions).
    "missing_required_header": {"expected-statuses": ["428", "403"]},
}

# Fields of request bodies and query filters that refer to a record → the path segment of its resource.
REFERENCES = {
    "batch": "batches",
    "change_request": "change-requests",
    "client": "clients",
    "manager": "users",
    "owner": "users",
    "project": "projects",
    "template": "templates",
    "user": "users",
}

# Client users of two tenants, for object_level_authorization: their tokens (fixed keys, created by the test) are
# given to schemathesis in a Web Fuzzing Commons auth document; neither may read what the other owns.
PEER_TOKENS = {"approver_a": "fuzzpeera" + "0" * 31, "approver_b": "fuzzpeerb" + "0" * 31}
PEERS_DOCUMENT = Path(tempfile.gettempdir()) / f"cmo-fuzz-peers-{os.getpid()}.json"
atexit.register(PEERS_DOCUMENT.unlink, missing_ok=True)
PEERS_DOCUMENT.write_text(
    json.dumps(
        {
            "auth": [
                {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Token {key}"}]}
                for name, key in PEER_TOKENS.items()
            ]
        }
    )
)


def load_schema(**config):
    settings = {
        "seed": SEED,
        "checks": CHECKS_CONFIG,
        "phases": {"coverage": {"enabled": DEEP}, "stateful": {"max-steps": 8 if DEEP else 4}},
    }
    return schemathesis.openapi.from_wsgi(
        SCHEMA_URL, application, config=schemathesis.Config.from_dict(settings | config)
    )


application = WSGIHandler()
try:
    schema = load_schema()
    peers_schema = load_schema(auth={"wfc": {"path": str(PEERS_DOCUMENT), "peers": list(PEER_TOKENS)}})
    schema_error = None
except Exception as error:  # reported by test_api_schema_loads, instead of stopping the whole run at collection
    schema, peers_schema, schema_error = None, None, error


def test_api_schema_loads():
    assert schema_error is None, f"The API schema ({SCHEMA_URL}) could not be loaded: {schema_error!r}"


def test_every_schemathesis_check_is_used():
    assert {check.__name__ for check in CHECKS_USED} >= {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
        "object_level_authorization",
    }


# --- What the run did: requests counted by the app, failures, time ------------------------------------------------


class FuzzReport:
    """Counts every request the app receives during the fuzz tests and reports them at the end of the run."""

    def __init__(self):
        self.requests = 0
        self.started = time.monotonic()
        self.counting = False

    def count(self, sender=None, **kwargs):
        if self.counting:
            self.requests += 1

    def pytest_terminal_summary(self, terminalreporter):
        here = __name__.replace(".", "/")
        failed = [r for r in terminalreporter.stats.get("failed", []) if r.nodeid.startswith(here)]
        seconds = time.monotonic() - self.started
        line = (
            f"API fuzz: {self.requests} requests sent, {len(failed)} failures, {seconds:.0f} s "
            f"(seed {SEED}, {MAX_EXAMPLES} examples per operation, coverage phase {'on' if DEEP else 'off'}, "
            f"{WORKFLOWS} workflows)"
        )
        terminalreporter.write_line(line)
        if os.environ.get("CMO_FUZZ_REPORT"):
            with open(os.environ["CMO_FUZZ_REPORT"], "w") as report:
                json.dump(
                    {"requests": self.requests, "failures": len(failed), "seconds": round(seconds), "seed": SEED},
                    report,
                )


@pytest.fixture(scope="module")
def fuzz_report(request):
    report = FuzzReport()
    request.config.pluginmanager.register(report, "cmo-api-fuzz-report")
    request_started.connect(report.count, weak=False)
    yield report
    request_started.disconnect(report.count)


# --- Plumbing -------------------------------------------------------------------------------------------------------


def each_operation(test):
    """One test per operation in the schema (none if the schema did not load: test_api_schema_loads fails)."""
    if schema is None:
        return None
    settings = hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        # The data is the test's, shared by its examples; each request's writes are rolled back (see above).
        suppress_health_check=list(HealthCheck),
    )
    return schema.parametrize()(settings(test))


@pytest.fixture
def records(world, records_b) -> ApiRecords:
    return existing_records(world, records_b)


@pytest.fixture
def server_errors():
    """The tracebacks of the exceptions the app turned into a 500."""
    seen: list[str] = []

    def record(sender, request=None, **kwargs):
        seen.append(traceback.format_exc())

    got_request_exception.connect(record, weak=False)
    yield seen
    got_request_exception.disconnect(record)


@contextmanager
def requests_in_the_test(report: FuzzReport):
    """Requests on the test's connection, counted.

    As django.test.Client does, the handler is kept from closing the connection the test's transaction lives on.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    report.counting = True
    try:
        yield
    finally:
        report.counting = False
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@contextmanager
def rolled_back():
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


@contextmanager
def rolled_back_requests(report: FuzzReport):
    """Requests on the test's connection, counted, their writes undone afterwards."""
    with requests_in_the_test(report), rolled_back():
        yield


def _existing(value, resource: str, ids: dict[str, list[int]]):
    """Most integers become an existing record's id (deterministically: shrinking and replay agree)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    candidates = ids.get(resource, []) + [value]
    return candidates[abs(value) % len(candidates)]


def _negative(case, location: ParameterLocation) -> bool:
    return case.meta is not None and case.meta.is_negative_at(location)


def aim_at_existing_records(case, data: ApiRecords) -> None:
    """Aim generated references, passwords and usernames at what exists, and the path's ``id`` at a record.

    Only in valid (positive) parts of a case: an invalid value must reach the app as generated."""
    for location, mapping in ((ParameterLocation.QUERY, case.query), (ParameterLocation.BODY, case.body)):
        if isinstance(mapping, dict) and not _negative(case, location):
            for field, resource in REFERENCES.items():
                if field in mapping:
                    mapping[field] = _existing(mapping[field], resource, data.ids)
    if isinstance(case.body, dict) and not _negative(case, ParameterLocation.BODY):
        password, username = case.body.get("password"), case.body.get("username")
        if isinstance(password, str) and len(password) % 2:
            case.body["password"] = PASSWORD
        if case.path.endswith("/auth/token/") and isinstance(username, str):
            usernames = [data.world.admin.username, data.world.approver_a.username, username]
            case.body["username"] = usernames[len(username) % len(usernames)]
    value = (case.path_parameters or {}).get("id")
    if value is not None and not _negative(case, ParameterLocation.PATH):
        resource = case.path.removeprefix(API_PREFIX).split("/", 1)[0]
        case.path_parameters["id"] = _existing(value, resource, data.ids)


def token_headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def with_current_etag(case, headers: dict[str, str]) -> dict[str, str]:
    """A PUT/PATCH that sends If-Match sends the record's current ETag (a missing one stays missing: 428)."""
    sent = case.headers or {}
    if case.method.upper() not in ("PUT", "PATCH") or not any(k.lower() == "if-match" for k in sent):
        return headers
    etag = Client(application).get(case.path.format(**case.path_parameters), headers=headers).headers.get("ETag")
    return headers | {"If-Match": etag} if etag else headers


def fuzz(case, data: ApiRecords, report: FuzzReport, server_errors: list[str]) -> None:
    aim_at_existing_records(case, data)
    for role in ("admin", "approver_a"):
        headers = token_headers(getattr(data.world, role))
        server_errors.clear()
        with rolled_back_requests(report):
            headers = with_current_etag(case, headers)
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS_USED, headers=headers)
            except BaseException as failure:
                failure.add_note(f"Caller: {role}")
                for server_traceback in server_errors:
                    failure.add_note(f"Server traceback:\n{server_traceback}")
                raise


@each_operation
def test_api_fuzz(case, records, fuzz_report, server_errors):
    fuzz(case, records, fuzz_report, server_errors)


# --- Workflows: the stateful phase ----------------------------------------------------------------------------------


def run_workflows(machine, report: FuzzReport, server_errors: list[str]) -> None:
    settings = hypothesis.settings(
        max_examples=WORKFLOWS,
        deadline=None,
        stateful_step_count=8 if DEEP else 4,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    server_errors.clear()
    with requests_in_the_test(report):
        try:
            run_state_machine_as_test(machine, settings=settings)
        except BaseException as failure:
            for server_traceback in server_errors:
                failure.add_note(f"Server traceback:\n{server_traceback}")
            raise


def test_api_workflows(records, fuzz_report, server_errors):
    """Sequences linked by the ids the API answers (create, then read, change and act on what was created), as the
    administrator: ``ensure_resource_availability`` and ``use_after_free`` check what was created stays reachable.
    Each sequence starts from the test's data (rolled back after it)."""
    assert schema is not None, schema_error
    headers = token_headers(records.world.admin)

    class AdminWorkflow(schema.as_state_machine()):
        def setup(self):
            self.scenario = rolled_back()
            self.scenario.__enter__()

        def teardown(self):
            self.scenario.__exit__(None, None, None)

        def before_call(self, case):
            if self.recorder.find_parent(case_id=case.id) is None:  # a first step: aim at what exists
                aim_at_existing_records(case, records)

        def get_call_kwargs(self, case):
            return {"headers": with_current_etag(case, headers)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS_USED, headers=kwargs.get("headers"), recorder=self.recorder)

    run_workflows(AdminWorkflow, fuzz_report, server_errors)


def test_api_workflows_of_two_tenants(records, fuzz_report, server_errors):
    """The same, as client A's approver and client B's: ``object_level_authorization`` replays each one's reads of
    what it owns (or created) as the other, who must not get it."""
    assert peers_schema is not None, schema_error
    for name, key in PEER_TOKENS.items():
        user = getattr(records.world, name)
        Token.objects.filter(user=user).delete()
        Token.objects.create(user=user, key=key)

    class TenantsWorkflow(peers_schema.as_state_machine()):
        def setup(self):
            self.scenario = rolled_back()
            self.scenario.__enter__()

        def teardown(self):
            self.scenario.__exit__(None, None, None)

        def before_call(self, case):
            if self.recorder.find_parent(case_id=case.id) is None:
                aim_at_existing_records(case, records)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS_USED, recorder=self.recorder)

    run_workflows(TenantsWorkflow, fuzz_report, server_errors)
