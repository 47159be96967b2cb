"""The API of plan imports: ``POST /api/v1/projects/{id}/plan-import/`` (an existing project) and
``POST /api/v1/plan-imports/`` (a new project), a file (multipart) or its text (JSON), ``reason``, ``dry_run``.

The dry run answers the preview and writes nothing; the import is all or nothing; a bad file answers 400 with a
field map naming the line; the roles are the pages' (other roles 403, another client's project 404).
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from pghistory.models import Events

from projects.models import Milestone, MilestoneDependency, Project
from tests.clients.factories import ClientFactory
from tests.conftest import api_as
from tests.projects.factories import BaselineFactory
from tests.projects.test_plan_import import BAD_FILES, imported, line_of, mspdi

REASON = "Plan agreed at kick-off (MS Project v3)"
CSV = "id,name,finish,predecessors\nA,Kick-off,2027-01-04,\nB,PPQ complete,2027-05-01,A\n"


def existing_url(project) -> str:
    return reverse("api:project-plan-import", kwargs={"pk": project.pk})


NEW_URL = "/api/v1/plan-imports/"


def plan_file(text=None, name="plan.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (mspdi() if text is None else text).encode())


def new_project(world, **changes) -> dict:
    return {
        "client": world.client_a.pk,
        "code": "AUR-API-01",
        "name": "Aurora API plan",
        "service_type": "process_development",
        "budget": "500000.00",
    } | changes


def rows_written() -> int:
    """Rows inserted, updated or deleted in this transaction (the test's), in every table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return cursor.fetchone()[0]


def counts() -> tuple[int, int, int, int]:
    return (
        Project.objects.count(),
        Milestone.objects.count(),
        MilestoneDependency.objects.count(),
        Events.objects.count(),
    )


def test_the_routes():
    assert reverse("api:project-plan-import", kwargs={"pk": 7}) == "/api/v1/projects/7/plan-import/"
    assert reverse("api:plan-import") == NEW_URL


# --- An existing project ----------------------------------------------------------------------------------------


def test_a_dry_run_answers_the_preview_and_writes_nothing(world):
    api = api_as(world.pm)
    before, written = counts(), rows_written()
    response = api.post(existing_url(world.project_a), {"file": plan_file(), "dry_run": "true"}, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert rows_written() == written
    assert counts() == before
    text = mspdi()
    assert body["dry_run"] is True
    assert (body["project"]["id"], body["source"], body["tasks_read"]) == (
        world.project_a.pk,
        "Microsoft Project XML",
        7,
    )
    assert [(m["line"], m["task"], m["name"], m["finish"], m["predecessors"], m["id"]) for m in body["milestones"]] == [
        (line_of(text, "<UID>3<"), "3", "Tech transfer complete", "2027-02-26", [], None),
        (line_of(text, "<UID>6<"), "6", "Engineering batch released", "2027-04-30", ["3"], None),
        (line_of(text, "<UID>7<"), "7", "GMP batch 1 released", "2027-06-30", ["3", "6"], None),
    ]
    assert "SS link from task 6" in body["warnings"][0]


def test_the_import_creates_the_milestones_with_the_reason_through_the_api(world):
    api = api_as(world.pm)
    response = api.post(existing_url(world.project_a), {"file": plan_file(), "reason": REASON}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dry_run"] is False
    created = {m["name"]: m["id"] for m in body["milestones"]}
    assert imported(world.project_a)["GMP batch 1 released"]["after"] == [
        "Engineering batch released",
        "Tech transfer complete",
    ]
    for name, pk in created.items():
        milestone = Milestone.objects.get(pk=pk, project=world.project_a, name=name)
        (event,) = [e for e in Events.objects.references([milestone]) if e.pgh_obj_model == "projects.Milestone"]
        assert (event.pgh_context["reason"], event.pgh_context["channel"]) == (REASON, "api")


def test_a_csv_plan_as_json_text(world):
    response = api_as(world.pm).post(
        existing_url(world.project_a), {"plan": CSV, "reason": "CSV plan v1"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert imported(world.project_a)["PPQ complete"]["after"] == ["Kick-off"]


@pytest.mark.parametrize("case", ["bad date", "unknown predecessor", "cycle", "entity bomb"])
def test_a_bad_file_answers_400_naming_the_line_and_imports_nothing(world, case):
    text, marker, message = BAD_FILES[case]
    before, written = counts(), rows_written()
    for dry_run in ("true", "false"):
        response = api_as(world.pm).post(
            existing_url(world.project_a),
            {"file": plan_file(text), "reason": REASON, "dry_run": dry_run},
            format="multipart",
        )
        assert response.status_code == 400
        (error, *_rest) = [e for e in response.json()["file"] if message in e]
        assert error.startswith(f"Line {line_of(text, marker)}")
    # Sent as JSON text, the messages are under the field the plan came in.
    response = api_as(world.pm).post(existing_url(world.project_a), {"plan": text, "reason": REASON}, format="json")
    assert response.status_code == 400
    assert any(message in e for e in response.json()["plan"])
    assert counts() == before
    assert rows_written() == written


def test_the_import_is_all_or_nothing_when_the_service_refuses(world):
    """A file that reads well but whose import is refused by the service (replace, after the project started)."""
    BaselineFactory(project=world.project_a, created_by=world.pm)
    before = counts()
    response = api_as(world.pm).post(
        existing_url(world.project_a), {"file": plan_file(), "reason": REASON, "replace": "true"}, format="multipart"
    )
    assert response.status_code == 400
    assert "has started" in response.json()["replace"][0]
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (lambda: {"file": plan_file(CSV, "plan.csv")}, "reason"),  # not a dry run: the reason is required
        (lambda: {"reason": REASON}, "file"),  # no plan
        (lambda: {"file": plan_file(), "plan": CSV, "reason": REASON}, "file"),  # two plans
        (lambda: {"plan": CSV, "reason": REASON, "dry_run": "yes"}, "dry_run"),
        (lambda: {"plan": CSV, "reason": REASON, "scope": "everything"}, "scope"),
        (lambda: {"plan": CSV, "reason": REASON, "replace": "on"}, "replace"),
    ],
)
def test_bad_fields_answer_400_naming_them(world, body, field):
    body = body()
    before = counts()
    response = api_as(world.pm).post(existing_url(world.project_a), body, format="multipart")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert counts() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("viewer_a", 403), ("approver_a", 403), ("viewer_b", 403), ("leadership", 403), ("other_pm", 403)],
)
def test_only_the_projects_manager_or_an_administrator_imports(world, who, status):
    before = counts()
    response = api_as(getattr(world, who)).post(
        existing_url(world.project_a), {"file": plan_file(), "reason": REASON}, format="multipart"
    )
    assert response.status_code == status
    assert counts() == before
    assert (
        api_as(world.admin)
        .post(existing_url(world.project_a), {"file": plan_file(), "dry_run": "true"}, format="multipart")
        .status_code
        == 200
    )


def test_a_missing_project_is_404(world):
    assert (
        api_as(world.pm).post("/api/v1/projects/987654/plan-import/", {"plan": CSV}, format="json").status_code == 404
    )


# --- A new project ------------------------------------------------------------------------------------------------


def test_a_new_project_dry_run_shows_the_project_and_writes_nothing(world):
    before, written = counts(), rows_written()
    response = api_as(world.pm).post(
        NEW_URL, {**new_project(world), "file": plan_file(), "dry_run": "true"}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert rows_written() == written
    assert counts() == before
    project = body["project"]
    assert project["id"] is None
    assert (project["code"], project["client"], project["manager"], project["status"]) == (
        "AUR-API-01",
        world.client_a.pk,
        world.pm.pk,
        "planned",
    )
    assert (project["start_date"], project["target_date"]) == ("2027-01-04", "2027-06-30")
    assert [m["name"] for m in body["milestones"]] == [
        "Tech transfer complete",
        "Engineering batch released",
        "GMP batch 1 released",
    ]


def test_a_new_project_is_created_with_its_milestones_and_the_reason(world):
    response = api_as(world.pm).post(
        NEW_URL,
        {**new_project(world, start_date="2026-12-01"), "file": plan_file(), "reason": REASON},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    project = Project.objects.get(pk=body["project"]["id"])
    assert (project.code, project.client, project.manager, project.service_type) == (
        "AUR-API-01",
        world.client_a,
        world.pm,
        "process_development",
    )
    assert (project.start_date, project.target_date) == (dt.date(2026, 12, 1), dt.date(2027, 6, 30))
    assert [m["id"] for m in body["milestones"]] == list(
        project.milestones.order_by("sequence").values_list("pk", flat=True)
    )
    assert imported(project)["Engineering batch released"]["after"] == ["Tech transfer complete"]
    for record in [project, *project.milestones.all()]:
        (event,) = [e for e in Events.objects.references([record]) if e.pgh_obj_id == str(record.pk)]
        assert (event.pgh_label, event.pgh_context["reason"], event.pgh_context["channel"]) == ("insert", REASON, "api")


def test_a_new_project_as_json_with_a_csv_plan(world):
    response = api_as(world.admin).post(
        NEW_URL, {**new_project(world), "plan": CSV, "reason": "CSV plan v1"}, format="json"
    )
    assert response.status_code == 201, response.json()
    project = Project.objects.get(code="AUR-API-01")
    assert project.manager is None  # an administrator's project has no manager until one is assigned
    assert imported(project)["PPQ complete"]["after"] == ["Kick-off"]


@pytest.mark.parametrize(
    ("changes", "plan", "field"),
    [
        ({}, BAD_FILES["bad date"][0], "file"),
        ({"code": "AAA-OPEN-01"}, None, "code"),  # already used (world.project_a)
        ({"budget": 1000}, None, "budget"),  # a number, not a decimal string: strict input
        ({"start_date": "2027-03-01", "target_date": "2027-02-01"}, None, "target_date"),
        ({"target_date": "2026-06-30"}, None, "target_date"),  # before the plan's first day, the default start
        ({"service_type": "brewing"}, None, "service_type"),
        ({"client": 987654}, None, "client"),
    ],
)
def test_a_new_project_with_a_bad_field_or_file_creates_nothing(world, changes, plan, field):
    before = counts()
    for dry_run in (True, False):
        body = {**new_project(world, **changes), "plan": plan or mspdi(), "reason": REASON, "dry_run": dry_run}
        response = api_as(world.pm).post(NEW_URL, body, format="json")
        assert response.status_code == 400
        key = "plan" if field == "file" else field
        assert key in response.json(), response.json()
    if field == "file":
        text, marker, _message = BAD_FILES["bad date"]
        assert response.json()["plan"][0].startswith(f"Line {line_of(text, marker)}")
    assert counts() == before


def test_an_inactive_client_is_refused_and_client_users_get_403(world):
    offboarded = ClientFactory(name="Offboarded Pharma", slug="offboarded", active=False)
    before = counts()
    response = api_as(world.pm).post(
        NEW_URL, {**new_project(world, client=offboarded.pk), "plan": CSV, "reason": REASON}, format="json"
    )
    assert response.status_code == 400
    assert "client" in response.json()
    # A client user, with their own client's id or another tenant's: refused by role, before anything is read.
    for user, client in (
        (world.viewer_a, world.client_a),
        (world.approver_a, world.client_b),
        (world.leadership, world.client_a),
    ):
        response = api_as(user).post(
            NEW_URL, {**new_project(world, client=client.pk), "plan": CSV, "reason": REASON}, format="json"
        )
        assert response.status_code == 403
    assert counts() == before


def test_a_new_project_is_all_or_nothing(world):
    """The same import twice: the second is refused by the project's unique code, and nothing of it remains (the
    service's test in tests/projects/test_plan_import_new.py refuses a milestone after the project's insert)."""
    api = api_as(world.pm)
    first = api.post(NEW_URL, {**new_project(world), "plan": CSV, "reason": REASON}, format="json")
    assert first.status_code == 201
    before = counts()
    again = api.post(NEW_URL, {**new_project(world), "plan": CSV, "reason": REASON}, format="json")
    assert again.status_code == 400
    assert "code" in again.json()
    assert counts() == before
