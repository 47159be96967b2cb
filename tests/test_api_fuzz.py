"""API fuzz: every operation of ``/api/v1/``, generated from its OpenAPI schema; never a 500.

CONVENTIONS: "Bad input gets a clear message (a JSON field map) and changes nothing. Never a 500."

How it works
------------
- The schema is the one the app serves (``/api/v1/schema/?format=json``), loaded by schemathesis from a
  ``WSGIHandler`` built here, in-process (``cmo_portal/wsgi.py`` is not imported: it would switch the settings
  to production). One test per operation and caller: ``test_api_fuzz_as_admin[POST /api/v1/projects/]``.
- Every operation in the schema is fuzzed, ``auth/token/`` included, with valid and invalid inputs (schemathesis's
  examples and fuzzing phases, ``MAX_EXAMPLES`` cases each) and the ``not_a_server_error`` check only. Once as
  an administrator, once as client A's approver (``approver_a``), each with an API token of its own.
- Not fuzzed: ``schema/``, ``docs/`` and ``redoc/`` — they are not API data endpoints and drf-spectacular leaves
  them out of the schema (``SERVE_INCLUDE_SCHEMA = False``). Nothing else is excluded.
- Integer ``{id}`` path parameters are mostly mapped onto records that exist (both tenants'), so detail and
  action endpoints get past their 404 into validation; a PUT/PATCH on such a record sends its current ETag as
  ``If-Match`` (otherwise every write stops at 428).
- Each request runs in a savepoint that is rolled back afterwards: every case starts from the same data, and a
  statement the database rejects cannot poison the test's transaction (in production, with ``ATOMIC_REQUESTS``
  off, it would not outlive its request either). As Django's own test client does, the handler is kept from
  closing the test's connection at the end of each request.
- A 500's server-side traceback (``got_request_exception``) is attached to the failure report, together with the
  case as a curl command.

Deterministic by default (a fixed seed). ``CMO_FUZZ_SEED=<int>`` explores other inputs; ``CMO_FUZZ_DEEP=1`` adds
schemathesis's coverage phase (boundary and wrong-type values, missing fields: ~80 cases per operation) and
60 fuzzed cases per operation: minutes, for a run by hand.
"""

import os
import traceback
from contextlib import contextmanager

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

from projects.models import Batch, ChangeRequest, CostEntry, Invoice, Issue, Notification, QualityEvent, Risk
from tests.clients.factories import PASSWORD
from tests.conftest import World, with_client_b_records
from tests.metrics.survey_fixtures import certification, invitation_b, make_invitation, make_response, response_b
from tests.projects.factories import BaselineFactory

SCHEMA_URL = "/api/v1/schema/?format=json"
API_PREFIX = "/api/v1/"
DEEP = os.environ.get("CMO_FUZZ_DEEP") == "1"
MAX_EXAMPLES = 60 if DEEP else 8

application = WSGIHandler()
schema = schemathesis.openapi.from_wsgi(
    SCHEMA_URL,
    application,
    config=schemathesis.Config.from_dict(
        {"seed": int(os.environ.get("CMO_FUZZ_SEED", "20260")), "phases": {"coverage": {"enabled": DEEP}}}
    ),
)

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # The data is the test's, shared by its examples; each request's writes are rolled back (see above).
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_world(world) -> World:
    """The shared world, one record of every kind on client B's project and on client A's (approver_a's)."""
    world = with_client_b_records(world)
    project, pm, approver = world.project_a, world.pm, world.approver_a
    world.b.update(
        baseline_a=BaselineFactory(project=project, created_by=pm),
        change_request_a=ChangeRequest.objects.create(
            project=project, number=1, title="Aurora change", created_by=pm, status="submitted"
        ),
        issue_a=Issue.objects.create(project=project, title="Aurora issue", raised_by=pm),
        cost_entry_a=CostEntry.objects.create(
            project=project, date="2026-03-01", amount="2.00", category="labour", description="Aurora cost"
        ),
        invoice_a=Invoice.objects.create(project=project, number="AUR-INV-1", date="2026-03-31", amount="2.00"),
        batch_a=Batch.objects.create(project=project, number="AUR-BATCH-1", planned_date="2026-04-01"),
        quality_event_a=QualityEvent.objects.create(
            project=project,
            reference="AUR-DEV-1",
            title="Aurora deviation",
            kind="deviation",
            severity="minor",
            opened="2026-03-01",
            visibility="shared",
        ),
        risk_a=Risk.objects.create(project=project, title="Aurora risk", probability=2, impact=4, visibility="shared"),
        notification_a=Notification.objects.create(
            recipient=approver, text="Aurora note", kind="test", project=project
        ),
        invitation_a=make_invitation(project, approver),
        response_a=make_response(project, world.viewer_a, nps=9, overall=4),
        invitation_b=invitation_b(world),
        response_b=response_b(world),
        certification=certification(world),
    )
    return world


def existing_ids(world: World) -> dict[str, list[int]]:
    """Ids of records that exist, by the first path segment after ``/api/v1/``."""
    b = world.b

    def pks(*names: str) -> list[int]:
        return [b[f"{name}_a"].pk for name in names] + [b[name].pk for name in names]

    return {
        "baselines": [world.baseline_b.pk, b["baseline_a"].pk],
        "batches": pks("batch"),
        "change-requests": pks("change_request"),
        "clients": [world.client_a.pk, world.client_b.pk],
        "cost-entries": pks("cost_entry"),
        "invoices": pks("invoice"),
        "issues": pks("issue"),
        "milestones": [world.milestone_a.pk, world.internal_milestone_a.pk, world.milestone_b.pk],
        "notifications": pks("notification"),
        "pm-certifications": [b["certification"].pk],
        "projects": [world.project_a.pk, world.project_b.pk],
        "quality-events": pks("quality_event"),
        "risks": pks("risk"),
        "survey-responses": [b["response_a"].pk, b["response_b"].pk],
        "surveys": [b["invitation_a"].pk, b["invitation_b"].pk],
        "templates": [world.template.pk],
        "users": [world.admin.pk, world.pm.pk, world.approver_a.pk, world.viewer_b.pk],
    }


@pytest.fixture
def server_errors():
    """The tracebacks of the exceptions the app turned into a 500, in order."""
    seen: list[str] = []

    def record(sender, request=None, **kwargs):
        seen.append(traceback.format_exc())

    got_request_exception.connect(record, weak=False)
    yield seen
    got_request_exception.disconnect(record)


@contextmanager
def rolled_back_request():
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


def current_etag(case, headers: dict[str, str]) -> str | None:
    return Client(application).get(case.path.format(**case.path_parameters), headers=headers).headers.get("ETag")


# Fields (request bodies, query filters) that refer to a record, and the path segment of its resource.
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


def _existing(value, resource: str, ids: dict[str, list[int]]):
    """An existing record's id for most integers (deterministic, so shrinking and replay agree); other values kept."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    candidates = ids.get(resource, []) + [value]
    return candidates[abs(value) % len(candidates)]


def point_at_existing_records(case, world: World) -> bool:
    """Aim generated references (and half the passwords, usernames) at what exists; True if the path ``id`` was."""
    ids = existing_ids(world)
    for mapping in (case.query, case.body):
        if isinstance(mapping, dict):
            for field, resource in REFERENCES.items():
                if field in mapping:
                    mapping[field] = _existing(mapping[field], resource, ids)
    if isinstance(case.body, dict):
        # Half the passwords are the real one (signatures, token), half the usernames a real user's (token).
        if isinstance(case.body.get("password"), str) and len(case.body["password"]) % 2 == 0:
            case.body["password"] = PASSWORD
        if case.path.endswith("/auth/token/") and isinstance(case.body.get("username"), str):
            usernames = [world.admin.username, world.approver_a.username, case.body["username"]]
            case.body["username"] = usernames[len(case.body["username"]) % len(usernames)]
    value = (case.path_parameters or {}).get("id")
    if value is None:
        return False
    case.path_parameters["id"] = _existing(value, case.path.removeprefix(API_PREFIX).split("/", 1)[0], ids)
    return case.path_parameters["id"] != value


def fuzz(case, world: World, user, server_errors: list[str]) -> None:
    authorization = f"Token {Token.objects.get_or_create(user=user)[0].key}"
    headers = {"Authorization": authorization}
    server_errors.clear()
    with rolled_back_request():
        if point_at_existing_records(case, world) and case.method.upper() in ("PUT", "PATCH"):
            etag = current_etag(case, headers)
            if etag:
                headers["If-Match"] = etag
        response = case.call(headers=headers)
    try:
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
    except BaseException as error:
        for server_traceback in server_errors:
            error.add_note(f"Server traceback:\n{server_traceback}")
        raise


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_fuzz_as_admin(case, fuzz_world, server_errors):
    fuzz(case, fuzz_world, fuzz_world.admin, server_errors)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_fuzz_as_client_approver(case, fuzz_world, server_errors):
    fuzz(case, fuzz_world, fuzz_world.approver_a, server_errors)
