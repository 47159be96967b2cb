"""Pages of the constraint records: costs, change requests, quality, risks, issues, notifications.

Client users never see internal cost, margin or internal records; e-signatures need the right password;
CSV imports are all or nothing; list pages use a fixed number of queries.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.change_requests import services as change_request_services
from projects.costs import services as cost_services
from projects.issues import services as issue_services
from projects.issues.views import duration_text
from projects.models import (
    Batch,
    ChangeRequest,
    ChangeRequestStatus,
    CostEntry,
    Invoice,
    Issue,
    IssueComment,
    IssueStatus,
    Milestone,
    Notification,
    Project,
    QualityEvent,
    Risk,
    Signature,
)
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from projects.risks.heatmap import exposure_band, render_heatmap, risk_counts
from tests.clients.factories import PASSWORD

INTERNAL_SECRETS = {
    "cost": "Secret overtime for the night shift",
    "risk": "Secret risk: our bioreactor vendor may go bankrupt",
    "issue": "Secret issue: operator training gap",
    "event": "Secret deviation in the cleanroom",
    "event_ref": "DEV-SECRET-77",
    "draft": "Secret draft change not yet agreed internally",
}


@pytest.fixture
def records(world):
    """Project A with one record of each kind, internal and shared, made through the services."""
    project, pm = world.project_a, world.pm
    cost_services.cost_entry_create(
        actor=pm,
        project=project,
        date=dt.date(2026, 2, 1),
        amount=Decimal("123456.78"),
        category="labour",
        description=INTERNAL_SECRETS["cost"],
    )
    cost_services.invoice_create(
        actor=pm, project=project, number="INV-0001", date=dt.date(2026, 2, 15), amount=Decimal("300000.00")
    )
    draft = change_request_services.change_request_create(actor=pm, project=project, title=INTERNAL_SECRETS["draft"])
    submitted = change_request_services.change_request_create(
        actor=pm,
        project=project,
        title="Add an engineering batch",
        schedule_impact_days=14,
        cost_impact=Decimal("50000.00"),
        scope_impact="One more engineering batch before PPQ",
        scope_impact_percent=Decimal("5"),
        quality_impact="minor",
    )
    change_request_services.change_request_submit(actor=pm, change=submitted)
    batch = quality_services.batch_create(actor=pm, project=project, number="B-001", planned_date=dt.date(2026, 3, 1))
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference=INTERNAL_SECRETS["event_ref"],
        title=INTERNAL_SECRETS["event"],
        kind="deviation",
        severity="minor",
        opened=dt.date(2026, 3, 2),  # internal: so not on a batch (an event on a batch is always shared)
    )
    shared_capa = quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="CAPA-001",
        title="Shared CAPA on labelling",
        kind="capa",
        severity="major",
        opened=dt.date(2026, 1, 10),
        due=dt.date(2026, 1, 20),
        visibility="shared",
    )
    risk_services.risk_create(
        actor=pm, project=project, title=INTERNAL_SECRETS["risk"], probability=5, impact=5, visibility="internal"
    )
    risk_services.risk_create(
        actor=pm, project=project, title="Shared risk: resin lead time", probability=2, impact=3, visibility="shared"
    )
    internal_issue = issue_services.issue_raise(
        actor=pm, project=project, title=INTERNAL_SECRETS["issue"], visibility="internal"
    )
    shared_issue = issue_services.issue_raise(
        actor=world.viewer_a, project=project, title="Certificate of analysis missing"
    )
    return {
        "draft": draft,
        "submitted": submitted,
        "batch": batch,
        "capa": shared_capa,
        "internal_issue": internal_issue,
        "shared_issue": shared_issue,
    }


def _get(client, user, name, **kwargs):
    client.force_login(user)
    return client.get(reverse(name, kwargs=kwargs or None))


# --- Client users never see internal cost, margin or internal records --------------------------


@pytest.mark.parametrize("role", ["viewer_a", "approver_a"])
def test_client_users_see_no_internal_record_on_any_page(world, records, client, role):
    user = getattr(world, role)
    client.force_login(user)
    pk = world.project_a.pk
    pages = [
        reverse("project-detail", kwargs={"pk": pk}),
        reverse("project-change-requests", kwargs={"pk": pk}),
        reverse("change-request-detail", kwargs={"pk": records["submitted"].pk}),
        reverse("project-quality", kwargs={"pk": pk}),
        reverse("project-risks", kwargs={"pk": pk}),
        reverse("project-issues", kwargs={"pk": pk}),
        reverse("issue-detail", kwargs={"pk": records["shared_issue"].pk}),
        reverse("notifications"),
        reverse("dashboard"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for secret in INTERNAL_SECRETS.values():
            assert secret not in body, f"{url} leaks {secret!r}"
        assert "123,456" not in body, f"{url} leaks the actual cost"
        assert "123456" not in body, f"{url} leaks the actual cost"
        assert "Margin" not in body, f"{url} shows the margin"
        assert reverse("project-costs", kwargs={"pk": pk}) not in body, f"{url} links to the costs page"

    hidden = [
        reverse("project-costs", kwargs={"pk": pk}),
        reverse("change-request-detail", kwargs={"pk": records["draft"].pk}),
        reverse("issue-detail", kwargs={"pk": records["internal_issue"].pk}),
    ]
    for url in hidden:
        assert client.get(url).status_code == 404, url


def test_client_sees_budget_invoiced_and_shared_records(world, records, client):
    response = _get(client, world.viewer_a, "project-change-requests", pk=world.project_a.pk)
    body = response.content.decode()
    assert "Invoiced to date" in body
    assert "300,000" in body
    assert "INV-0001" in body
    assert "Add an engineering batch" in body
    body = _get(client, world.viewer_a, "project-quality", pk=world.project_a.pk).content.decode()
    assert "Shared CAPA on labelling" in body
    assert "B-001" in body
    body = _get(client, world.viewer_a, "project-risks", pk=world.project_a.pk).content.decode()
    assert "Shared risk: resin lead time" in body
    assert 'data-probability="5" data-impact="5" data-count="0"' in body  # the internal risk is not counted


def test_staff_see_cost_margin_and_internal_records(world, records, client):
    body = _get(client, world.leadership, "project-costs", pk=world.project_a.pk).content.decode()
    assert INTERNAL_SECRETS["cost"] in body
    assert "Margin" in body
    assert "1,076,543" in body  # contract value 1,200,000 − actual cost 123,456.78
    assert "300,000" in body  # invoiced
    assert '<form method="post"' not in body.split("</header>", 1)[1]  # leadership reads (and filters), does not edit
    body = _get(client, world.leadership, "project-risks", pk=world.project_a.pk).content.decode()
    assert INTERNAL_SECRETS["risk"] in body
    assert 'data-probability="5" data-impact="5" data-count="1"' in body


def test_costs_tab_is_shown_to_staff_only(world, client):
    url = reverse("project-costs", kwargs={"pk": world.project_a.pk})
    assert url in _get(client, world.pm, "project-detail", pk=world.project_a.pk).content.decode()
    assert url not in _get(client, world.approver_a, "project-detail", pk=world.project_a.pk).content.decode()


# --- Costs and the CSV import -------------------------------------------------------------------


def test_csv_import_with_a_bad_row_names_line_and_column_and_imports_nothing(world, client):
    client.force_login(world.pm)
    url = reverse("project-costs", kwargs={"pk": world.project_a.pk})
    csv = "date,amount,category,description\n2026-02-01,1000.00,labour,Good row\n2026-02-02,12x,materials,Bad amount\n"
    response = client.post(url, {"action": "import", "import-text": csv})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Line 3, column amount" in body
    assert "Nothing was imported" in body
    assert not CostEntry.objects.filter(project=world.project_a).exists()


def test_csv_upload_imports_every_row(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.pm)
    url = reverse("project-costs", kwargs={"pk": world.project_a.pk})
    upload = SimpleUploadedFile(
        "costs.csv", b"date,amount,category\n2026-02-01,1000.00,labour\n2026-02-03,250.50,Materials\n", "text/csv"
    )
    response = client.post(url, {"action": "import", "import-file": upload}, follow=True)
    assert response.status_code == 200
    assert "Imported 2 cost entries" in response.content.decode()
    assert sorted(CostEntry.objects.values_list("amount", flat=True)) == [Decimal("250.50"), Decimal("1000.00")]


def test_pm_records_a_cost_and_an_invoice(world, client):
    client.force_login(world.pm)
    url = reverse("project-costs", kwargs={"pk": world.project_a.pk})
    client.post(url, {"action": "cost", "cost-date": "2026-02-01", "cost-amount": "99.90", "cost-category": "other"})
    client.post(
        url, {"action": "invoice", "invoice-number": "INV-7", "invoice-date": "2026-02-01", "invoice-amount": "10"}
    )
    assert CostEntry.objects.get(project=world.project_a).amount == Decimal("99.90")
    assert Invoice.objects.get(project=world.project_a).number == "INV-7"


def test_only_the_projects_manager_writes_costs(world, client):
    client.force_login(world.other_pm)
    url = reverse("project-costs", kwargs={"pk": world.project_a.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"action": "cost", "cost-date": "2026-02-01", "cost-amount": "5", "cost-category": "other"}
    )
    assert response.status_code == 404
    assert not CostEntry.objects.exists()


# --- Change requests and the e-signature --------------------------------------------------------


def test_pm_drafts_and_submits_and_the_approver_is_notified(world, client):
    client.force_login(world.pm)
    response = client.post(
        reverse("project-change-requests", kwargs={"pk": world.project_a.pk}),
        {
            "title": "Second fill line",
            "schedule_impact_days": "7",
            "cost_impact": "1000",
            "scope_impact_percent": "0",
            "quality_impact": "none",
        },
    )
    change = ChangeRequest.objects.get(project=world.project_a)
    assert response["Location"] == reverse("change-request-detail", kwargs={"pk": change.pk})
    assert change.status == ChangeRequestStatus.DRAFT

    client.force_login(world.approver_a)
    assert client.get(reverse("change-request-detail", kwargs={"pk": change.pk})).status_code == 404

    client.force_login(world.pm)
    client.post(reverse("change-request-detail", kwargs={"pk": change.pk}), {"action": "submit"})
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.SUBMITTED

    client.force_login(world.approver_a)
    assert 'class="bell-count">1<' in client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("change-request-detail", kwargs={"pk": change.pk})).content.decode()
    assert "Electronic signature" in page
    assert "bell-count" not in page  # opening the request read its notification
    assert Notification.objects.get(recipient=world.approver_a).read_at is not None


def test_wrong_password_signs_nothing_and_changes_nothing(world, records, client):
    change = records["submitted"]
    forecast_before = Milestone.objects.get(pk=world.milestone_a.pk).forecast_date
    budget_before = Project.objects.get(pk=world.project_a.pk).budget
    client.force_login(world.approver_a)
    response = client.post(
        reverse("change-request-detail", kwargs={"pk": change.pk}),
        {"action": "sign", "decision": "approve", "password": "not-my-password", "comment": ""},
    )
    assert response.status_code == 400
    assert "password is not correct" in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.SUBMITTED
    assert change.decided_at is None
    assert not Signature.objects.exists()
    assert Milestone.objects.get(pk=world.milestone_a.pk).forecast_date == forecast_before
    assert Project.objects.get(pk=world.project_a.pk).budget == budget_before


def test_right_password_approves_and_moves_the_plan(world, records, client):
    change = records["submitted"]
    forecast_before = Milestone.objects.get(pk=world.milestone_a.pk).forecast_date
    client.force_login(world.approver_a)
    response = client.post(
        reverse("change-request-detail", kwargs={"pk": change.pk}),
        {"action": "sign", "decision": "approve", "password": PASSWORD, "comment": "OK for us"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Signed: CR-" in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.APPROVED
    assert Signature.objects.get(object_id=change.pk).signer == world.approver_a
    assert Milestone.objects.get(pk=world.milestone_a.pk).forecast_date == forecast_before + dt.timedelta(days=14)
    assert Project.objects.get(pk=world.project_a.pk).budget == Decimal("1050000.00")


def test_a_client_viewer_and_the_pm_cannot_sign(world, records, client):
    url = reverse("change-request-detail", kwargs={"pk": records["submitted"].pk})
    for user in (world.viewer_a, world.pm):
        client.force_login(user)
        assert "Electronic signature" not in client.get(url).content.decode()
        response = client.post(url, {"action": "sign", "decision": "approve", "password": PASSWORD})
        assert response.status_code == 404
    assert ChangeRequest.objects.get(pk=records["submitted"].pk).status == ChangeRequestStatus.SUBMITTED


def test_client_cannot_submit_or_withdraw(world, records, client):
    client.force_login(world.approver_a)
    url = reverse("change-request-detail", kwargs={"pk": records["submitted"].pk})
    assert client.post(url, {"action": "withdraw"}).status_code == 404
    assert ChangeRequest.objects.get(pk=records["submitted"].pk).status == ChangeRequestStatus.SUBMITTED


# --- Quality, risks ------------------------------------------------------------------------------


def test_overdue_capa_is_flagged_and_the_pm_closes_it(world, records, client):
    capa = records["capa"]
    body = _get(client, world.pm, "project-quality", pk=world.project_a.pk).content.decode()
    row = body.split(f'id="qe-{capa.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "overdue CAPA" in row
    client.post(
        reverse("project-quality", kwargs={"pk": world.project_a.pk}),
        {"action": "close", "event": capa.pk, "closed": "2026-01-25"},
    )
    capa.refresh_from_db()
    assert capa.closed == dt.date(2026, 1, 25)


def test_closing_an_event_before_it_opened_is_refused(world, records, client):
    capa = records["capa"]
    client.force_login(world.pm)
    response = client.post(
        reverse("project-quality", kwargs={"pk": world.project_a.pk}),
        {"action": "close", "event": capa.pk, "closed": "2025-12-01"},
    )
    assert response.status_code == 400
    assert "Could not close the event" in response.content.decode()
    capa.refresh_from_db()
    assert capa.closed is None


def test_pm_records_a_batch_and_a_major_deviation_on_it(world, client):
    client.force_login(world.pm)
    url = reverse("project-quality", kwargs={"pk": world.project_a.pk})
    client.post(
        url, {"action": "batch", "batch-number": "B-9", "batch-planned_date": "2026-04-01", "batch-outcome": "pending"}
    )
    batch = Batch.objects.get(project=world.project_a, number="B-9")
    assert batch.right_first_time is False  # unchecked box on the plain form post
    event = {
        "action": "event",
        "event-reference": "DEV-1",
        "event-title": "Filter integrity",
        "event-kind": "deviation",
        "event-severity": "major",
        "event-batch": batch.pk,
        "event-opened": "2026-04-02",
    }
    response = client.post(url, event | {"event-visibility": "internal"})
    # An internal event on the client's batch is refused: it belongs to the batch record the client reviews.
    assert response.status_code == 400
    assert "make it shared" in response.content.decode()
    assert not QualityEvent.objects.filter(reference="DEV-1").exists()
    client.post(url, event | {"event-visibility": "shared"})
    assert QualityEvent.objects.get(reference="DEV-1").batch == batch


def test_quality_event_form_refuses_another_projects_batch(world, client):
    other_batch = Batch.objects.create(project=world.project_b, number="B-SECRET", planned_date=dt.date(2026, 4, 1))
    client.force_login(world.pm)
    response = client.post(
        reverse("project-quality", kwargs={"pk": world.project_a.pk}),
        {
            "action": "event",
            "event-reference": "DEV-2",
            "event-title": "x",
            "event-kind": "deviation",
            "event-severity": "minor",
            "event-batch": other_batch.pk,
            "event-opened": "2026-04-02",
            "event-visibility": "internal",
        },
    )
    assert response.status_code == 400
    assert not QualityEvent.objects.filter(reference="DEV-2").exists()
    assert "B-SECRET" not in response.content.decode()


def test_risk_register_is_sorted_by_exposure_and_the_pm_adds_and_closes(world, client):
    client.force_login(world.pm)
    url = reverse("project-risks", kwargs={"pk": world.project_a.pk})
    for title, p, i in [("Low one", 1, 2), ("High one", 4, 5), ("Middle one", 3, 3)]:
        client.post(
            url,
            {"action": "risk", "title": title, "probability": p, "impact": i, "visibility": "shared"},
        )
    body = client.get(url).content.decode()
    register = body.split('id="register"', 1)[1]
    assert register.index("High one") < register.index("Middle one") < register.index("Low one")
    assert 'data-probability="4" data-impact="5" data-count="1"' in body
    high = Risk.objects.get(title="High one")
    client.post(url, {"action": "close", "risk": high.pk})
    assert Risk.objects.get(pk=high.pk).status == "closed"
    assert 'data-probability="4" data-impact="5" data-count="0"' in client.get(url).content.decode()


# --- Issues and notifications --------------------------------------------------------------------


def test_client_raises_an_issue_the_pm_answers_and_resolves(world, client):
    client.force_login(world.viewer_a)
    client.post(
        reverse("project-issues", kwargs={"pk": world.project_a.pk}),
        {"title": "Shipment temperature log", "visibility": "internal"},
    )
    issue = Issue.objects.get(title="Shipment temperature log")
    assert issue.visibility == "shared"  # a client's issue is always shared
    assert Notification.objects.filter(recipient=world.pm, kind="issue_raised").exists()

    client.force_login(world.pm)
    url = reverse("issue-detail", kwargs={"pk": issue.pk})
    response = client.post(url, {"action": "comment", "body": "Looking into it."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="thread"' in response.content.decode()
    assert "Looking into it." in response.content.decode()
    assert "<html" not in response.content.decode()  # an htmx partial
    client.post(url, {"action": "resolve", "resolution": "Logger replaced; data recovered."})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.RESOLVED
    assert issue.first_response_at is not None

    client.force_login(world.viewer_a)
    body = client.get(url).content.decode()
    assert "Logger replaced; data recovered." in body
    assert "Time to first response" in body
    assert "Add comment" in body


def test_comment_without_htmx_redirects_back(world, records, client):
    client.force_login(world.approver_a)
    url = reverse("issue-detail", kwargs={"pk": records["shared_issue"].pk})
    response = client.post(url, {"action": "comment", "body": "Any news?"})
    assert response.status_code == 302
    assert response["Location"] == url
    assert IssueComment.objects.get(issue=records["shared_issue"]).author == world.approver_a


def test_leadership_cannot_comment_nor_resolve(world, records, client):
    client.force_login(world.leadership)
    url = reverse("issue-detail", kwargs={"pk": records["shared_issue"].pk})
    assert "Add comment" not in client.get(url).content.decode()
    assert client.post(url, {"action": "comment", "body": "x"}).status_code == 404
    assert client.post(url, {"action": "resolve", "resolution": "x"}).status_code == 404
    assert not IssueComment.objects.exists()


def test_notifications_list_and_mark_all_read(world, records, client):
    client.force_login(world.approver_a)
    body = client.get(reverse("notifications")).content.decode()
    assert "awaits your decision" in body
    assert f'href="/change-requests/{records["submitted"].pk}/"' in body
    assert 'class="bell-count">1<' in body
    client.post(reverse("notifications"))
    assert not Notification.objects.filter(recipient=world.approver_a, read_at__isnull=True).exists()
    assert "bell-count" not in client.get(reverse("notifications")).content.decode()


def test_notifications_are_the_users_own(world, records, client):
    client.force_login(world.viewer_b)
    body = client.get(reverse("notifications")).content.decode()
    assert "awaits your decision" not in body
    assert world.project_a.code not in body
    client.post(reverse("notifications"))
    assert Notification.objects.filter(recipient=world.approver_a, read_at__isnull=True).exists()


# --- Another client's objects answer 404 (until `world` holds a change request and an issue of B) ---


@pytest.mark.parametrize("role", ["approver_b", "viewer_b"])
def test_another_clients_change_request_and_issue_answer_404(world, records, client, role):
    client.force_login(getattr(world, role))
    for url in (
        reverse("change-request-detail", kwargs={"pk": records["submitted"].pk}),
        reverse("issue-detail", kwargs={"pk": records["shared_issue"].pk}),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert world.project_a.code not in response.content.decode()
        post = client.post(url, {"action": "sign", "decision": "approve", "password": PASSWORD})
        assert post.status_code == 404
    assert not Signature.objects.exists()
    for name in ("project-change-requests", "project-quality", "project-risks", "project-issues", "project-costs"):
        assert client.get(reverse(name, kwargs={"pk": world.project_a.pk})).status_code == 404, name


# --- Fixed query counts for the list pages --------------------------------------------------------


def _add_invoices(world, n):
    start = Invoice.objects.count()
    Invoice.objects.bulk_create(
        Invoice(project=world.project_a, number=f"INV-{start + i}", date=dt.date(2026, 2, 1), amount=1)
        for i in range(n)
    )


def _add_cost_rows(world, n):
    CostEntry.objects.bulk_create(
        CostEntry(project=world.project_a, date=dt.date(2026, 2, 1), amount=10, category="labour", created_by=world.pm)
        for _ in range(n)
    )
    _add_invoices(world, n)


def _add_change_rows(world, n):
    start = ChangeRequest.objects.count()
    ChangeRequest.objects.bulk_create(
        ChangeRequest(
            project=world.project_a,
            number=start + i + 1,
            title=f"Change {start + i}",
            status=ChangeRequestStatus.APPROVED if i % 2 else ChangeRequestStatus.SUBMITTED,
            created_by=world.pm,
            decided_by=world.approver_a if i % 2 else None,
            decided_at=timezone.now() if i % 2 else None,
        )
        for i in range(n)
    )
    _add_invoices(world, n)


def _add_quality_rows(world, n):
    start = Batch.objects.count()
    batches = Batch.objects.bulk_create(
        Batch(project=world.project_a, number=f"B-{start + i}", planned_date=dt.date(2026, 3, 1)) for i in range(n)
    )
    QualityEvent.objects.bulk_create(
        QualityEvent(
            project=world.project_a,
            batch=batch,
            reference=f"DEV-{batch.pk}",
            title="Deviation",
            kind="capa",
            severity="minor",
            opened=dt.date(2026, 1, 1),
            due=dt.date(2026, 1, 15),
            visibility="shared",
        )
        for batch in batches
    )


def _add_risk_rows(world, n):
    Risk.objects.bulk_create(
        Risk(
            project=world.project_a,
            title=f"Risk {i}",
            probability=i % 5 + 1,
            impact=(i * 3) % 5 + 1,
            owner=world.pm,
            visibility="shared",
        )
        for i in range(n)
    )


def _add_issue_rows(world, n):
    issues = Issue.objects.bulk_create(
        Issue(project=world.project_a, title=f"Issue {i}", raised_by=world.viewer_a, assigned_to=world.pm)
        for i in range(n)
    )
    IssueComment.objects.bulk_create(IssueComment(issue=issue, author=world.pm, body="On it") for issue in issues)


def _add_notification_rows(world, n):
    for user in (world.pm, world.approver_a):
        Notification.objects.bulk_create(
            Notification(recipient=user, kind="x", project=world.project_a, text=f"Note {i}", url="/x/")
            for i in range(n)
        )


LIST_PAGES = [
    ("project-costs", "pm", _add_cost_rows),
    ("project-change-requests", "pm", _add_change_rows),
    ("project-change-requests", "approver_a", _add_change_rows),
    ("project-quality", "pm", _add_quality_rows),
    ("project-quality", "viewer_a", _add_quality_rows),
    ("project-risks", "pm", _add_risk_rows),
    ("project-issues", "pm", _add_issue_rows),
    ("project-issues", "viewer_a", _add_issue_rows),
    ("notifications", "pm", _add_notification_rows),
    ("notifications", "approver_a", _add_notification_rows),
]


@pytest.mark.parametrize(("url_name", "role", "add_rows"), LIST_PAGES)
def test_list_pages_use_a_fixed_number_of_queries(
    world, client, django_assert_max_num_queries, url_name, role, add_rows
):
    client.force_login(getattr(world, role))
    url = reverse(url_name) if url_name == "notifications" else reverse(url_name, kwargs={"pk": world.project_a.pk})

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
        return len(ctx.captured_queries)

    add_rows(world, 1)
    with_one = count_queries()
    add_rows(world, 39)
    with django_assert_max_num_queries(with_one):
        count_queries()


# --- Pure helpers ---------------------------------------------------------------------------------


def test_exposure_bands():
    assert [exposure_band(e) for e in (1, 4, 5, 12, 15, 25)] == ["low", "low", "medium", "medium", "high", "high"]


def test_heatmap_counts_open_risks_per_cell():
    svg = render_heatmap([(5, 5), (5, 5), (1, 2), (0, 9)])
    assert risk_counts([(5, 5), (5, 5), (1, 2), (0, 9)]) == {(5, 5): 2, (1, 2): 1}
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert svg.count('class="cell"') == 25
    assert 'data-probability="5" data-impact="5" data-count="2"' in svg
    assert 'data-probability="1" data-impact="2" data-count="1"' in svg
    assert "3 open risks" in svg  # the aria label counts the valid cells
    assert "#b3261e" in svg
    assert "#1e7d4f" in svg


def test_duration_text():
    assert duration_text(None) == ""
    assert duration_text(dt.timedelta(minutes=45)) == "45 min"
    assert duration_text(dt.timedelta(hours=5, minutes=10)) == "5 h 10 min"
    assert duration_text(dt.timedelta(days=3, hours=4, minutes=59)) == "3 d 4 h"
    assert duration_text(dt.timedelta(days=2)) == "2 d"
