"""The API of the constraints' records: who sees what, who may do what, and bad input never answers 500."""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Role
from projects.models import (
    Batch,
    ChangeRequest,
    ChangeRequestStatus,
    CostEntry,
    Invoice,
    Issue,
    IssueComment,
    Milestone,
    Notification,
    Project,
    QualityEvent,
    Risk,
    Signature,
    Visibility,
)
from tests.clients.factories import PASSWORD, ClientUserFactory
from tests.conftest import World, api_as
from tests.projects.factories import (
    BatchFactory,
    ChangeRequestFactory,
    CostEntryFactory,
    IssueFactory,
    NotificationFactory,
    QualityEventFactory,
    RiskFactory,
)

SECRETS_OF_B = [
    "Borealis secret cost",
    "BOR-SECRET-INV",
    "Borealis secret change",
    "BOR-SECRET-BATCH",
    "BOR-SECRET-DEV",
    "Borealis secret deviation",
    "Borealis secret risk",
    "Borealis secret issue",
    "Borealis secret comment",
    "Borealis secret notification",
]


# --- Helpers ---------------------------------------------------------------------------------------

LIST_ROUTES = [
    "api:cost-entry-list",
    "api:invoice-list",
    "api:change-request-list",
    "api:batch-list",
    "api:quality-event-list",
    "api:risk-list",
    "api:issue-list",
    "api:notification-list",
]


def client_users(world: World):
    return [world.viewer_a, world.approver_a]


def get(user, name, query: str = "", **kwargs):
    return api_as(user).get(reverse(name, kwargs=kwargs or None) + query)


def post(user, name, body=None, **kwargs):
    return api_as(user).post(reverse(name, kwargs=kwargs or None), body or {}, format="json")


@dataclass
class InternalOfA:
    cost: CostEntry
    risk: Risk
    issue: Issue
    quality_event: QualityEvent
    shared_risk: Risk
    shared_issue: Issue
    shared_event: QualityEvent


@pytest.fixture
def internal_a(world) -> InternalOfA:
    project = world.project_a
    return InternalOfA(
        cost=CostEntryFactory(
            project=project, amount=Decimal("98765.43"), description="Aurora internal labour cost", created_by=world.pm
        ),
        risk=RiskFactory(project=project, title="Aurora internal margin risk", visibility=Visibility.INTERNAL),
        issue=IssueFactory(
            project=project, title="Aurora internal staffing issue", visibility=Visibility.INTERNAL, raised_by=world.pm
        ),
        quality_event=QualityEventFactory(
            project=project, title="Aurora internal deviation", visibility=Visibility.INTERNAL
        ),
        shared_risk=RiskFactory(project=project, title="Aurora shared supply risk"),
        shared_issue=IssueFactory(project=project, title="Aurora shared issue", raised_by=world.pm),
        shared_event=QualityEventFactory(project=project, title="Aurora shared deviation"),
    )


INTERNAL_SECRETS = [
    "98765.43",
    "Aurora internal labour cost",
    "Aurora internal margin risk",
    "Aurora internal staffing issue",
    "Aurora internal deviation",
]


def _all_keys(data) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _all_keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _all_keys(v)}
    return set()


# --- What client users see --------------------------------------------------------------------------


def test_client_users_never_see_internal_records_cost_or_margin_through_any_endpoint(world, internal_a):
    project_a = world.project_a.pk
    urls = [reverse(name) for name in LIST_ROUTES]
    urls += [reverse(name) + f"?project={project_a}" for name in LIST_ROUTES]
    urls += [
        reverse("api:project-list"),
        reverse("api:project-detail", kwargs={"pk": project_a}),
        reverse("api:issue-comments", kwargs={"pk": internal_a.shared_issue.pk}),
        reverse("api:risk-detail", kwargs={"pk": internal_a.shared_risk.pk}),
        reverse("api:quality-event-detail", kwargs={"pk": internal_a.shared_event.pk}),
    ]
    for user in client_users(world):
        api = api_as(user)
        for url in urls:
            response = api.get(url)
            assert response.status_code == 200, (user, url, response.content)
            body = response.content.decode()
            for secret in INTERNAL_SECRETS:
                assert secret not in body, f"{url} shows {secret!r} to {user.username}"
            assert not {"margin", "cost_entries", "actual_cost"} & _all_keys(response.json()), url
        for name, record in [
            ("api:cost-entry-detail", internal_a.cost),
            ("api:risk-detail", internal_a.risk),
            ("api:issue-detail", internal_a.issue),
            ("api:quality-event-detail", internal_a.quality_event),
            ("api:issue-comments", internal_a.issue),
        ]:
            assert api.get(reverse(name, kwargs={"pk": record.pk})).status_code == 404, name
        assert api.get(reverse("api:cost-entry-list")).json()["count"] == 0

    # The shared ones are there, and staff see everything.
    titles = {r["title"] for r in get(world.viewer_a, "api:risk-list").json()["results"]}
    assert titles == {"Aurora shared supply risk"}
    titles = {r["title"] for r in get(world.viewer_a, "api:quality-event-list").json()["results"]}
    assert titles == {"Aurora shared deviation"}
    assert get(world.leadership, "api:cost-entry-list").json()["count"] == 1
    assert get(world.leadership, "api:risk-list").json()["count"] == 2


def test_another_clients_records_answer_404_and_never_show_in_lists(world, records_b):
    b = records_b
    details = [
        ("api:invoice-detail", b.invoice),
        ("api:change-request-detail", b.change_request),
        ("api:batch-detail", b.batch),
        ("api:quality-event-detail", b.quality_event),
        ("api:risk-detail", b.risk),
        ("api:issue-detail", b.issue),
        ("api:issue-comments", b.issue),
        ("api:notification-detail", b.notification),
        ("api:cost-entry-detail", b.cost_entry),
    ]
    for user in client_users(world):
        api = api_as(user)
        for name, record in details:
            response = api.get(reverse(name, kwargs={"pk": record.pk}))
            assert response.status_code == 404, (user.username, name)
        for name in LIST_ROUTES:
            for query in ("", f"?project={world.project_b.pk}", f"?client={world.client_b.pk}"):
                response = api.get(reverse(name) + query)
                assert response.status_code == 200
                body = response.content.decode()
                assert not any(secret in body for secret in SECRETS_OF_B), (name, query)
                assert world.project_b.code not in body
    # Client B's own users see them (not the cost entry).
    assert get(world.viewer_b, "api:risk-detail", pk=b.risk.pk).status_code == 200
    assert get(world.viewer_b, "api:notification-detail", pk=b.notification.pk).status_code == 200
    assert get(world.viewer_b, "api:cost-entry-detail", pk=b.cost_entry.pk).status_code == 404


def test_another_clients_records_refuse_every_write_without_revealing_them(world, records_b):
    b = records_b
    approve = post(world.approver_a, "api:change-request-approve", {"password": PASSWORD}, pk=b.change_request.pk)
    assert approve.status_code == 404
    assert post(world.approver_a, "api:issue-comments", {"body": "Hello"}, pk=b.issue.pk).status_code == 404
    raised = post(world.viewer_a, "api:issue-list", {"project": world.project_b.pk, "title": "Sneaky"})
    assert raised.status_code == 400
    assert "project" in raised.json()
    marked = post(world.viewer_a, "api:notification-mark-read", {"ids": [b.notification.pk]})
    assert marked.json() == {"marked": 0}
    b.notification.refresh_from_db()
    assert b.notification.read_at is None
    b.change_request.refresh_from_db()
    assert b.change_request.status == ChangeRequestStatus.SUBMITTED
    assert not Signature.objects.exists()
    assert not Issue.objects.filter(title="Sneaky").exists()
    assert IssueComment.objects.filter(issue=b.issue).count() == 1


def test_client_users_never_see_draft_change_requests(world):
    draft = ChangeRequestFactory(project=world.project_a, created_by=world.pm, status=ChangeRequestStatus.DRAFT)
    submitted = ChangeRequestFactory(project=world.project_a, created_by=world.pm)
    listed = [c["id"] for c in get(world.approver_a, "api:change-request-list").json()["results"]]
    assert listed == [submitted.pk]
    assert get(world.approver_a, "api:change-request-detail", pk=draft.pk).status_code == 404
    # Approving a draft: the approver cannot even see it.
    assert post(world.approver_a, "api:change-request-approve", {"password": PASSWORD}, pk=draft.pk).status_code == 404
    assert get(world.pm, "api:change-request-list").json()["count"] == 2


# --- Cost entries and the CSV import -------------------------------------------------------------------


def test_pm_records_cost_and_client_users_cannot(world):
    body = {"project": world.project_a.pk, "date": "2026-03-03", "amount": "1500.00", "category": "materials"}
    for user in (*client_users(world), world.leadership):
        assert post(user, "api:cost-entry-list", body).status_code == 403
    assert post(world.other_pm, "api:cost-entry-list", body).status_code == 403
    assert not CostEntry.objects.exists()
    response = post(world.pm, "api:cost-entry-list", body)
    assert response.status_code == 201, response.content
    entry = CostEntry.objects.get()
    assert (entry.amount, entry.created_by) == (Decimal("1500.00"), world.pm)
    assert response.json()["created_by_name"] == world.pm.display_name


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "lots"}, "amount"),
        ({"date": "31/12/2026"}, "date"),
        ({"category": "bribes"}, "category"),
        ({"project": 999999}, "project"),
        ({"amount": "1" * 20}, "amount"),
    ],
)
def test_bad_cost_entry_is_400_with_a_field_map(world, changes, field):
    body = {"project": world.project_a.pk, "date": "2026-03-03", "amount": "1500.00", "category": "labour"} | changes
    response = post(world.pm, "api:cost-entry-list", body)
    assert response.status_code == 400
    assert field in response.json()
    assert not CostEntry.objects.exists()


GOOD_CSV = "date,amount,category,description\n2026-03-01,1200.50,labour,Operators\n2026-03-02,300,Materials,Resin\n"


def test_csv_import_as_json_and_as_a_file(world):
    url = reverse("api:cost-entry-import")
    response = api_as(world.pm).post(url, {"project": world.project_a.pk, "csv": GOOD_CSV}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"count": 2}
    upload = SimpleUploadedFile("costs.csv", ("\ufeff" + GOOD_CSV).encode(), content_type="text/csv")
    response = api_as(world.pm).post(url, {"project": world.project_a.pk, "file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert CostEntry.objects.filter(project=world.project_a).count() == 4
    assert sorted(str(e.amount) for e in CostEntry.objects.all()) == ["1200.50", "1200.50", "300.00", "300.00"]


def test_csv_import_with_one_bad_row_imports_nothing_and_names_line_and_column(world):
    bad = GOOD_CSV + "2026-03-04,12O.00,labour,typo in the amount\n2026-03-05,10,labour,fine\n"
    response = post(world.pm, "api:cost-entry-import", {"project": world.project_a.pk, "csv": bad})
    assert response.status_code == 400
    assert response.json() == {"file": ["Line 4, column amount: '12O.00' is not an amount."]}
    assert not CostEntry.objects.exists()


OWN_PROJECT = "<project A>"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "project"),
        ({"csv": GOOD_CSV}, "project"),
        ({"project": "PROJECT", "csv": GOOD_CSV}, "project"),
        ({"project": OWN_PROJECT}, "csv"),
        ({"project": OWN_PROJECT, "csv": ""}, "csv"),
        ({"project": OWN_PROJECT, "csv": "amount,date\n2026-01-01,1\n"}, "file"),
        ({"project": OWN_PROJECT, "csv": "date,amount,category\n"}, "file"),
        ({"project": OWN_PROJECT, "csv": "date,amount,category\n2026-02-30,1,labour\n"}, "file"),
    ],
)
def test_csv_import_bad_requests_are_400(world, body, field):
    body = {k: (world.project_a.pk if v == OWN_PROJECT else v) for k, v in body.items()}
    response = post(world.pm, "api:cost-entry-import", body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not CostEntry.objects.exists()


@pytest.mark.parametrize("amount", ["1e20", "1e999999", "1000000000000"])
def test_csv_import_of_an_amount_out_of_range_names_the_cell(world, amount):
    text = f"date,amount,category\n2026-01-01,1,labour\n2026-01-02,{amount},labour\n"
    response = post(world.pm, "api:cost-entry-import", {"project": world.project_a.pk, "csv": text})
    assert response.status_code == 400
    assert response.json()["file"][0].startswith("Line 3, column amount:")
    assert not CostEntry.objects.exists()


def test_csv_import_line_numbers_count_physical_lines(world):
    text = 'date,amount,category,description\n2026-01-01,5,labour,"two\nlines"\n2026-01-02,x,labour,\n'
    response = post(world.pm, "api:cost-entry-import", {"project": world.project_a.pk, "csv": text})
    assert response.json() == {"file": ["Line 4, column amount: 'x' is not an amount."]}


def test_csv_import_of_a_non_utf8_file_is_400(world):
    upload = SimpleUploadedFile("costs.csv", "date,amount,category\n2026-03-01,1,Matériel\n".encode("latin-1"))
    response = api_as(world.pm).post(
        reverse("api:cost-entry-import"), {"project": world.project_a.pk, "file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_csv_import_is_refused_to_client_users_and_other_pms(world):
    body = {"project": world.project_a.pk, "csv": GOOD_CSV}
    for user in (*client_users(world), world.leadership):
        assert post(user, "api:cost-entry-import", body).status_code == 403
    assert post(world.other_pm, "api:cost-entry-import", body).status_code == 403
    assert not CostEntry.objects.exists()


# --- Invoices and batches ---------------------------------------------------------------------------


def test_invoices_are_read_by_the_client_and_recorded_by_the_pm(world):
    body = {"project": world.project_a.pk, "number": "INV-1", "date": "2026-03-31", "amount": "10000.00"}
    assert post(world.approver_a, "api:invoice-list", body).status_code == 403
    assert post(world.pm, "api:invoice-list", body).status_code == 201
    duplicate = post(world.pm, "api:invoice-list", body)
    assert duplicate.status_code == 400
    assert Invoice.objects.count() == 1
    listed = get(world.viewer_a, "api:invoice-list", f"?project={world.project_a.pk}").json()["results"]
    assert [(i["number"], i["amount"]) for i in listed] == [("INV-1", "10000.00")]


def test_batches_are_recorded_and_updated_by_the_pm_only(world):
    body = {"project": world.project_a.pk, "number": "A-001", "planned_date": "2026-04-01"}
    assert post(world.viewer_a, "api:batch-list", body).status_code == 403
    response = post(world.pm, "api:batch-list", body)
    assert response.status_code == 201, response.content
    assert post(world.pm, "api:batch-list", body).status_code == 400  # duplicate number
    url = reverse("api:batch-detail", kwargs={"pk": response.json()["id"]})
    changes = {"actual_date": "2026-04-03", "outcome": "released", "project": world.project_b.pk}
    assert api_as(world.other_pm).patch(url, changes, format="json").status_code == 403
    assert api_as(world.approver_a).patch(url, changes, format="json").status_code == 403
    updated = api_as(world.pm).patch(url, changes, format="json")
    assert updated.status_code == 200, updated.content
    batch = Batch.objects.get()
    assert (batch.outcome, batch.actual_date, batch.project) == ("released", dt.date(2026, 4, 3), world.project_a)
    assert api_as(world.pm).delete(url).status_code == 405


# --- Change requests: the whole flow through the API ------------------------------------------------


def test_change_request_flow_through_the_api(world):
    created = post(
        world.pm,
        "api:change-request-list",
        {
            "project": world.project_a.pk,
            "title": "Add a second fill line",
            "schedule_impact_days": 10,
            "cost_impact": "40000.00",
            "quality_impact": "minor",
            "status": "approved",  # read-only: a new request is a draft
        },
    )
    assert created.status_code == 201, created.content
    change = created.json()
    assert (change["status"], change["number"]) == ("draft", 1)
    pk = change["id"]
    assert post(world.approver_a, "api:change-request-submit", pk=pk).status_code == 403
    assert post(world.other_pm, "api:change-request-submit", pk=pk).status_code == 403
    submitted = post(world.pm, "api:change-request-submit", pk=pk)
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    resubmitted = post(world.pm, "api:change-request-submit", pk=pk)
    assert resubmitted.status_code == 400
    assert resubmitted.json() == {"status": ["Cannot submit a change request that is awaiting client decision."]}

    # A viewer is not an approver; the PM does not sign for the client.
    assert post(world.viewer_a, "api:change-request-approve", {"password": PASSWORD}, pk=pk).status_code == 403
    assert post(world.pm, "api:change-request-approve", {"password": PASSWORD}, pk=pk).status_code == 403
    wrong = post(world.approver_a, "api:change-request-approve", {"password": "nope"}, pk=pk)
    assert wrong.status_code == 400
    assert "password" in wrong.json()
    wrong_meaning = post(
        world.approver_a, "api:change-request-approve", {"password": PASSWORD, "meaning": "review"}, pk=pk
    )
    assert wrong_meaning.status_code == 400
    assert "meaning" in wrong_meaning.json()
    assert not Signature.objects.exists()
    assert Project.objects.get(pk=world.project_a.pk).budget == Decimal("1000000.00")

    signed = post(
        world.approver_a,
        "api:change-request-approve",
        {"password": PASSWORD, "meaning": "approval", "comment": "Agreed in the steering meeting"},
        pk=pk,
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["meaning"] == "approval"
    assert signed.json()["printed_name"] == world.approver_a.display_name
    assert Project.objects.get(pk=world.project_a.pk).budget == Decimal("1040000.00")
    assert Milestone.objects.get(pk=world.milestone_a.pk).forecast_date == dt.date(2026, 6, 11)

    again = post(world.approver_a, "api:change-request-approve", {"password": PASSWORD}, pk=pk)
    assert again.status_code == 400
    assert again.json() == {"status": ["Cannot approve a change request that is approved."]}
    assert post(world.approver_a, "api:change-request-reject", {"password": PASSWORD}, pk=pk).status_code == 400
    assert post(world.pm, "api:change-request-withdraw", pk=pk).status_code == 400
    assert Signature.objects.count() == 1
    assert Project.objects.get(pk=world.project_a.pk).budget == Decimal("1040000.00")
    detail = get(world.viewer_a, "api:change-request-detail", pk=pk).json()
    assert (detail["status"], detail["decided_by_name"]) == ("approved", world.approver_a.display_name)


def test_rejecting_and_withdrawing_through_the_api(world):
    change = ChangeRequestFactory(project=world.project_a, created_by=world.pm)
    rejected = post(
        world.approver_a, "api:change-request-reject", {"password": PASSWORD, "comment": "Too costly"}, pk=change.pk
    )
    assert rejected.status_code == 200
    assert rejected.json()["meaning"] == "rejection"
    assert Project.objects.get(pk=world.project_a.pk).budget == Decimal("1000000.00")
    other = ChangeRequestFactory(project=world.project_a, created_by=world.pm)
    assert post(world.approver_a, "api:change-request-withdraw", pk=other.pk).status_code == 403
    withdrawn = post(world.pm, "api:change-request-withdraw", {"reason": "Superseded"}, pk=other.pk)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    withdrawn_approve = post(world.approver_a, "api:change-request-approve", {"password": PASSWORD}, pk=other.pk)
    assert withdrawn_approve.status_code == 400
    assert withdrawn_approve.json() == {"status": ["Cannot approve a change request that is withdrawn."]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cost_impact": "a lot"}, "cost_impact"),
        ({"schedule_impact_days": "two weeks"}, "schedule_impact_days"),
        ({"quality_impact": "catastrophic"}, "quality_impact"),
        ({"title": ""}, "title"),
        ({"project": "x"}, "project"),
    ],
)
def test_bad_change_request_is_400(world, changes, field):
    body = {"project": world.project_a.pk, "title": "Change"} | changes
    response = post(world.pm, "api:change-request-list", body)
    assert response.status_code == 400
    assert field in response.json()
    assert not ChangeRequest.objects.exists()


# --- Risks: optimistic locking ----------------------------------------------------------------------


def test_risk_update_needs_if_match_and_refuses_stale_versions(world):
    created = post(
        world.pm,
        "api:risk-list",
        {"project": world.project_a.pk, "title": "Resin shortage", "probability": 2, "impact": 5, "owner": world.pm.pk},
    )
    assert created.status_code == 201, created.content
    assert (created.json()["exposure"], created.json()["visibility"]) == (10, "internal")
    url = reverse("api:risk-detail", kwargs={"pk": created.json()["id"]})
    api = api_as(world.pm)
    etag = api.get(url)["ETag"]
    assert api.patch(url, {"probability": 4}, format="json").status_code == 428
    assert api.patch(url, {"probability": 4}, format="json", HTTP_IF_MATCH='"99"').status_code == 412
    bad = api.patch(url, {"probability": 7}, format="json", HTTP_IF_MATCH=etag)
    assert bad.status_code == 400
    assert "probability" in bad.json()
    assert api_as(world.other_pm).patch(url, {"probability": 4}, format="json", HTTP_IF_MATCH=etag).status_code == 403
    assert api_as(world.approver_a).patch(url, {"probability": 4}, format="json", HTTP_IF_MATCH=etag).status_code == 403
    updated = api.patch(
        url, {"probability": 4, "reason": "Supplier confirmed delay"}, format="json", HTTP_IF_MATCH=etag
    )
    assert updated.status_code == 200, updated.content
    assert (updated.json()["exposure"], updated.json()["version"]) == (20, 2)
    assert updated["ETag"] == '"2"'
    assert api.patch(url, {"impact": 1}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert Risk.objects.get().probability == 4


def test_risk_owner_must_be_cmo_staff(world):
    body = {"project": world.project_a.pk, "title": "R", "probability": 1, "impact": 1, "owner": world.viewer_b.pk}
    response = post(world.pm, "api:risk-list", body)
    assert response.status_code == 400
    assert "owner" in response.json()


# --- Quality events -----------------------------------------------------------------------------------


def test_quality_event_create_and_close(world):
    batch = BatchFactory(project=world.project_a)
    other_batch = BatchFactory(project=world.project_b)
    body = {
        "project": world.project_a.pk,
        "batch": batch.pk,
        "reference": "DEV-1",
        "title": "Filter integrity failure",
        "kind": "deviation",
        "severity": "major",
        "opened": "2026-03-10",
        "visibility": "shared",
    }
    assert post(world.approver_a, "api:quality-event-list", body).status_code == 403
    assert post(world.pm, "api:quality-event-list", body | {"batch": other_batch.pk}).status_code == 400
    created = post(world.pm, "api:quality-event-list", body)
    assert created.status_code == 201, created.content
    assert created.json()["batch_number"] == batch.number
    batch.refresh_from_db()
    assert not batch.right_first_time
    pk = created.json()["id"]
    assert post(world.approver_a, "api:quality-event-close", {"closed": "2026-03-20"}, pk=pk).status_code == 403
    too_early = post(world.pm, "api:quality-event-close", {"closed": "2026-03-01"}, pk=pk)
    assert too_early.status_code == 400
    assert QualityEvent.objects.get().closed is None
    assert post(world.pm, "api:quality-event-close", {"closed": "not a date"}, pk=pk).status_code == 400
    closed = post(world.pm, "api:quality-event-close", {"closed": "2026-03-20"}, pk=pk)
    assert closed.status_code == 200
    assert closed.json()["closed"] == "2026-03-20"
    assert get(world.viewer_a, "api:quality-event-list", "?open=false").json()["count"] == 1
    assert get(world.viewer_a, "api:quality-event-list", "?open=true").json()["count"] == 0


# --- Issues and comments -----------------------------------------------------------------------------


def test_client_raises_a_shared_issue_and_comments_reach_the_pm(world):
    raised = post(
        world.viewer_a,
        "api:issue-list",
        {"project": world.project_a.pk, "title": "Late CoA", "description": "Still waiting", "visibility": "internal"},
    )
    assert raised.status_code == 201, raised.content
    issue = raised.json()
    assert (issue["visibility"], issue["assigned_to_name"]) == ("shared", world.pm.display_name)
    pk = issue["id"]
    comment = post(world.approver_a, "api:issue-comments", {"body": "Any news?"}, pk=pk)
    assert comment.status_code == 201, comment.content
    assert comment.json()["author_name"] == world.approver_a.display_name
    assert post(world.approver_a, "api:issue-comments", {"body": "   "}, pk=pk).status_code == 400
    assert post(world.leadership, "api:issue-comments", {"body": "Leadership"}, pk=pk).status_code == 403
    reply = post(world.pm, "api:issue-comments", {"body": "Shipped today"}, pk=pk)
    assert reply.status_code == 201
    listed = get(world.viewer_a, "api:issue-comments", pk=pk).json()
    assert [c["body"] for c in listed["results"]] == ["Any news?", "Shipped today"]
    assert get(world.viewer_a, "api:issue-detail", pk=pk).json()["comment_count"] == 2
    assert Issue.objects.get(pk=pk).first_response_at is not None
    assert sorted(n.kind for n in Notification.objects.filter(recipient=world.pm)) == ["issue_comment", "issue_raised"]
    assert not Notification.objects.filter(recipient__client=world.client_b).exists()

    assert post(world.viewer_a, "api:issue-resolve", {"resolution": "Done"}, pk=pk).status_code == 403
    assert post(world.pm, "api:issue-resolve", {"resolution": ""}, pk=pk).status_code == 400
    resolved = post(world.pm, "api:issue-resolve", {"resolution": "CoA shipped"}, pk=pk)
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("resolved", "CoA shipped")
    assert post(world.pm, "api:issue-resolve", {"resolution": "Again"}, pk=pk).status_code == 400


def test_client_comment_on_an_internal_issue_is_404_and_writes_nothing(world, internal_a):
    response = post(world.approver_a, "api:issue-comments", {"body": "Let me in"}, pk=internal_a.issue.pk)
    assert response.status_code == 404
    assert "Aurora internal staffing issue" not in response.content.decode()
    assert not IssueComment.objects.exists()
    assert not Notification.objects.exists()


def test_staff_raise_internal_issues_clients_cannot_raise_elsewhere(world):
    response = post(
        world.pm, "api:issue-list", {"project": world.project_a.pk, "title": "Internal", "visibility": "internal"}
    )
    assert response.status_code == 201
    assert response.json()["visibility"] == "internal"
    assert get(world.viewer_a, "api:issue-list").json()["count"] == 0
    assert post(world.leadership, "api:issue-list", {"project": world.project_a.pk, "title": "X"}).status_code == 403


# --- Notifications -------------------------------------------------------------------------------------


def test_notifications_are_the_callers_own_and_mark_read_touches_only_them(world):
    mine = NotificationFactory.create_batch(2, recipient=world.viewer_a, project=world.project_a)
    theirs = NotificationFactory(recipient=world.approver_a, project=world.project_a, text="For the approver only")
    listed = get(world.viewer_a, "api:notification-list").json()
    assert sorted(n["id"] for n in listed["results"]) == sorted(n.pk for n in mine)
    assert "For the approver only" not in json.dumps(listed)
    assert get(world.viewer_a, "api:notification-detail", pk=theirs.pk).status_code == 404
    one = post(world.viewer_a, "api:notification-mark-read", {"ids": [mine[0].pk, theirs.pk]})
    assert one.json() == {"marked": 1}
    assert get(world.viewer_a, "api:notification-list", "?unread=true").json()["count"] == 1
    rest = post(world.viewer_a, "api:notification-mark-read")
    assert rest.json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert post(world.viewer_a, "api:notification-mark-read", {"ids": "all"}).status_code == 400


def test_bad_filters_are_400_not_500(world):
    for name in LIST_ROUTES:
        assert get(world.pm, name, "?project=abc").status_code == 400, name
    assert get(world.pm, "api:risk-list", "?status=maybe").status_code == 400


# --- Query counts ---------------------------------------------------------------------------------------


def _create_rows(world: World, name: str, count: int) -> None:
    project = world.project_a
    if name == "api:change-request-list":
        ChangeRequestFactory.create_batch(count, project=project, created_by=world.pm, decided_by=world.approver_a)
    elif name == "api:risk-list":
        RiskFactory.create_batch(count, project=project, owner=world.pm)
    elif name == "api:issue-list":
        for issue in IssueFactory.create_batch(count, project=project, raised_by=world.viewer_a, assigned_to=world.pm):
            IssueComment.objects.create(issue=issue, author=world.pm, body="Reply")
    elif name == "api:quality-event-list":
        batch = BatchFactory(project=project)
        QualityEventFactory.create_batch(count, project=project, batch=batch)
    elif name == "api:cost-entry-list":
        CostEntryFactory.create_batch(count, project=project, created_by=world.pm)
    elif name == "api:notification-list":
        NotificationFactory.create_batch(count, recipient=world.pm, project=project)
    else:
        raise AssertionError(name)


@pytest.mark.parametrize(
    "name",
    [
        "api:change-request-list",
        "api:risk-list",
        "api:issue-list",
        "api:quality-event-list",
        "api:cost-entry-list",
        "api:notification-list",
    ],
)
def test_lists_use_a_fixed_number_of_queries(world, django_assert_max_num_queries, name):
    def count_queries(expected_rows: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api_as(world.pm).get(reverse(name))
            assert response.status_code == 200
            assert response.json()["count"] == expected_rows
        return len(ctx.captured_queries)

    _create_rows(world, name, 1)
    with_one = count_queries(1)
    _create_rows(world, name, 39)
    with django_assert_max_num_queries(with_one):
        count_queries(40)


def test_client_user_lists_use_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    viewer = ClientUserFactory(client=world.client_a, role=Role.CLIENT_VIEWER)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for name in ("api:issue-list", "api:risk-list", "api:change-request-list"):
                assert api_as(viewer).get(reverse(name)).status_code == 200
        return len(ctx.captured_queries)

    for name in ("api:issue-list", "api:risk-list", "api:change-request-list"):
        _create_rows(world, name, 1)
    few = count_queries()
    for name in ("api:issue-list", "api:risk-list", "api:change-request-list"):
        _create_rows(world, name, 30)
    with django_assert_max_num_queries(few):
        count_queries()
