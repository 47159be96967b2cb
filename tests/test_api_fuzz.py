"""API fuzz: every operation of ``/api/v1/``, generated from its OpenAPI schema; never a 500.

CONVENTIONS: "Bad input gets a clear message (a JSON field map) and changes nothing. Never a 500."

How it works
------------
- The schema is the one the app serves (``/api/v1/schema/?format=json``), loaded by schemathesis from a
  ``WSGIHandler`` built here, in-process (``cmo_portal/wsgi.py`` is not imported: it would switch the settings to
  production). It is loaded at import (that request touches no database): schemathesis's lazy
  ``from_fixture`` loader does not work with pytest 9.2 (``'Function' object has no attribute '_nodeid'``).
  If it cannot be loaded, ``test_api_schema_loads`` fails with the reason (the rest of the suite still runs).
- One test per operation and caller, e.g. ``test_api_fuzz_as_admin[POST /api/v1/projects/]``: every operation in
  the schema, ``auth/token/`` included, with valid and invalid inputs (schemathesis's examples and fuzzing
  phases, ``MAX_EXAMPLES`` cases each), checked with ``not_a_server_error`` only. Once as an administrator, once
  as client A's approver (``approver_a``), each with an API token of its own.
- Not fuzzed: ``schema/``, ``docs/`` and ``redoc/`` — they are not API data endpoints and drf-spectacular leaves
  them out of the schema (``SERVE_INCLUDE_SCHEMA = False``). Nothing else is excluded.
- Generated integers are mostly aimed at records that exist (both tenants'): the ``{id}`` path parameter and the
  reference fields of bodies and query filters (``REFERENCES``), so requests get past "not found" into
  validation and the services. Half the passwords are the real one (signatures, token) and, on ``auth/token/``,
  most usernames a real user's. A PUT/PATCH on an existing record sends its current ETag as ``If-Match``
  (otherwise every write stops at 428).
- Each request runs in a savepoint rolled back afterwards: every case starts from the same data, and a statement
  the database rejects cannot poison the test's transaction (in production, with ``ATOMIC_REQUESTS`` off, it does
  not outlive its request either). As Django's own test client does, the handler is kept from closing the test's
  connection at the end of each request.
- A 500's server-side traceback (``got_request_exception``) is added to the failure report, which also gives the
  case as a curl command.

Deterministic by default (a fixed seed). ``CMO_FUZZ_SEED=<int>`` explores other inputs; ``CMO_FUZZ_DEEP=1`` adds
schemathesis's coverage phase (boundary and wrong-type values, missing fields: ~80 cases per operation) and 60
fuzzed cases per operation: a few minutes, for a run by hand.
"""

import os
import traceback
from contextlib import contextmanager
from dataclasses import dataclass

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from werkzeug.test import Client

from clients.models import User
from tests.clients.factories import PASSWORD
from tests.conftest import World
from tests.metrics.factories import certification, invitation_b, make_invitation, make_response, response_b
from tests.projects.factories import BaselineFactory, constraint_records

SCHEMA_URL = "/api/v1/schema/?format=json"
API_PREFIX = "/api/v1/"
DEEP = os.environ.get("CMO_FUZZ_DEEP") == "1"
MAX_EXAMPLES = 60 if DEEP else 8
SEED = int(os.environ.get("CMO_FUZZ_SEED", "20260"))

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

application = WSGIHandler()
try:
    schema = schemathesis.openapi.from_wsgi(
        SCHEMA_URL,
        application,
        config=schemathesis.Config.from_dict({"seed": SEED, "phases": {"coverage": {"enabled": DEEP}}}),
    )
    schema_error = None
except Exception as error:  # reported by test_api_schema_loads, instead of stopping the whole run at collection
    schema, schema_error = None, error


def test_api_schema_loads():
    assert schema_error is None, f"The API schema ({SCHEMA_URL}) could not be loaded: {schema_error!r}"


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


@dataclass
class FuzzData:
    world: World
    ids: dict[str, list[int]]  # existing records' ids by resource (the path segment after /api/v1/)


@pytest.fixture
def fuzz_data(world, records_b) -> FuzzData:
    """The shared world plus one record of every kind on client B's project and on client A's (approver_a's)."""
    project, pm = world.project_a, world.pm
    a = constraint_records(project=project, pm=pm, client_user=world.approver_a, label="Aurora", reference="AUR")
    baseline_a = BaselineFactory(project=project, created_by=pm)

    def both(kind: str) -> list[int]:
        return [getattr(a, kind).pk, getattr(records_b, kind).pk]

    return FuzzData(
        world=world,
        ids={
            "baselines": [baseline_a.pk, world.baseline_b.pk],
            "batches": both("batch"),
            "change-requests": both("change_request"),
            "clients": [world.client_a.pk, world.client_b.pk],
            "cost-entries": both("cost_entry"),
            "invoices": both("invoice"),
            "issues": both("issue"),
            "milestones": [world.milestone_a.pk, world.internal_milestone_a.pk, world.milestone_b.pk],
            "notifications": both("notification"),
            "pm-certifications": [certification(world).pk],
            "projects": [world.project_a.pk, world.project_b.pk],
            "quality-events": both("quality_event"),
            "risks": both("risk"),
            "survey-responses": [make_response(project, world.viewer_a, nps=9, overall=4).pk, response_b(world).pk],
            "surveys": [make_invitation(project, world.approver_a).pk, invitation_b(world).pk],
            "templates": [world.template.pk],
            "users": [world.admin.pk, world.pm.pk, world.approver_a.pk, world.viewer_b.pk],
        },
    )


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
def rolled_back_requests():
    """Requests on the test's connection, their writes undone afterwards.

    As django.test.Client does, the handler is kept from closing the connection the test's transaction lives on.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with transaction.atomic():
            try:
                yield
            finally:
                transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _existing(value, resource: str, ids: dict[str, list[int]]):
    """Most integers become an existing record's id (deterministically: shrinking and replay agree)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    candidates = ids.get(resource, []) + [value]
    return candidates[abs(value) % len(candidates)]


def aim_at_existing_records(case, data: FuzzData) -> bool:
    """Aim generated references, passwords and usernames at what exists; True if the path's ``id`` now is."""
    for mapping in (case.query, case.body):
        if isinstance(mapping, dict):
            for field, resource in REFERENCES.items():
                if field in mapping:
                    mapping[field] = _existing(mapping[field], resource, data.ids)
    if isinstance(case.body, dict):
        password, username = case.body.get("password"), case.body.get("username")
        if isinstance(password, str) and len(password) % 2:
            case.body["password"] = PASSWORD
        if case.path.endswith("/auth/token/") and isinstance(username, str):
            usernames = [data.world.admin.username, data.world.approver_a.username, username]
            case.body["username"] = usernames[len(username) % len(usernames)]
    value = (case.path_parameters or {}).get("id")
    if value is None:
        return False
    case.path_parameters["id"] = _existing(value, case.path.removeprefix(API_PREFIX).split("/", 1)[0], data.ids)
    return case.path_parameters["id"] != value


def current_etag(case, headers: dict[str, str]) -> str | None:
    return Client(application).get(case.path.format(**case.path_parameters), headers=headers).headers.get("ETag")


def fuzz(case, data: FuzzData, user: User, server_errors: list[str]) -> None:
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    server_errors.clear()
    with rolled_back_requests():
        if aim_at_existing_records(case, data) and case.method.upper() in ("PUT", "PATCH"):
            etag = current_etag(case, headers)
            if etag:
                headers["If-Match"] = etag
        response = case.call(headers=headers)
    try:
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
    except BaseException as failure:
        for server_traceback in server_errors:
            failure.add_note(f"Server traceback:\n{server_traceback}")
        raise


@each_operation
def test_api_fuzz_as_admin(case, fuzz_data, server_errors):
    fuzz(case, fuzz_data, fuzz_data.world.admin, server_errors)


@each_operation
def test_api_fuzz_as_client_approver(case, fuzz_data, server_errors):
    fuzz(case, fuzz_data, fuzz_data.world.approver_a, server_errors)
