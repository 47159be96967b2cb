"""The project status report (issue 14): a client's report (page, PDF, the version the PM issues) holds nothing
internal, the CMO's does; another client's users get 404; bad periods are refused with a sentence; the page's query
count does not grow with the milestones."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client as PageClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from clients.models import Role
from metrics.scores.services import scores_recompute
from metrics.status_report.pdf import render_status_report_pdf
from metrics.status_report.selectors import client_reader, default_period, status_report
from metrics.status_report.services import status_report_issue
from projects import services as project_services
from projects.change_requests import services as change_request_services
from projects.costs import services as cost_services
from projects.documents.selectors import version_get
from projects.issues import services as issue_services
from projects.milestones import services as milestone_services
from projects.models import Document, DocumentKind, DocumentVersion, Milestone, Notification
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from tests.clients.factories import PASSWORD, UserFactory
from tests.metrics.factories import make_response
from tests.projects.factories import MilestoneFactory

pytestmark = pytest.mark.django_db

# One marker per record kind: internal ones must never reach a client's report, shared ones must.
INTERNAL = {
    "milestone": "QxInternalMilestone",
    "risk": "QxInternalRisk",
    "issue": "QxInternalIssue",
    "quality event": "QxInternalCapa",
    "draft change request": "QxInternalDraftCR",
    "withdrawn draft": "QxInternalWithdrawn",
    "cost": "QxInternalCost",
    "cost amount": "987654.32",
}
SHARED = {
    "milestone": "ZtSharedMilestone",
    "late milestone": "ZtLateMilestone",
    "risk": "ZtSharedRisk",
    "issue": "ZtSharedIssue",
    "quality event": "ZtSharedDeviation",
    "change request": "ZtSharedChange",
    "slip reason": "ZtMovedByChange",
}


def _text(pdf: bytes) -> str:
    """The PDF's text with every whitespace removed (a marker wrapped over two lines still matches)."""
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


@pytest.fixture
def planted(world):
    """Client A's project with shared records and internal ones in the default period (the last 14 days)."""
    pm, project = world.pm, world.project_a
    today = timezone.localdate()
    project_services.project_start(actor=pm, project=project)
    milestone_services.milestone_create(
        actor=pm,
        project=project,
        name=SHARED["milestone"],
        baseline_date=today - dt.timedelta(days=3),
        forecast_date=today - dt.timedelta(days=3),
        actual_date=today - dt.timedelta(days=3),
        percent_complete=Decimal(100),
    )
    late = milestone_services.milestone_create(
        actor=pm,
        project=project,
        name=SHARED["late milestone"],
        baseline_date=today + dt.timedelta(days=2),
        forecast_date=today + dt.timedelta(days=2),
    )
    milestone_services.milestone_create(
        actor=pm,
        project=project,
        name=INTERNAL["milestone"],
        baseline_date=today - dt.timedelta(days=5),
        forecast_date=today + dt.timedelta(days=1),
        client_visible=False,
    )
    moving = change_request_services.change_request_create(
        actor=pm, project=project, title=SHARED["slip reason"], schedule_impact_days=9
    )
    moving.moved_milestones.set([late])
    change_request_services.change_request_submit(actor=pm, change=moving)
    change_request_services.change_request_decide(
        actor=world.approver_a, change=moving, password=PASSWORD, approve=True
    )
    change = change_request_services.change_request_create(
        actor=pm, project=project, title=SHARED["change request"], schedule_impact_days=4
    )
    change_request_services.change_request_submit(actor=pm, change=change)
    change_request_services.change_request_create(actor=pm, project=project, title=INTERNAL["draft change request"])
    withdrawn = change_request_services.change_request_create(
        actor=pm, project=project, title=INTERNAL["withdrawn draft"]
    )
    change_request_services.change_request_withdraw(actor=pm, change=withdrawn)
    risk_services.risk_create(
        actor=pm, project=project, title=SHARED["risk"], probability=2, impact=3, visibility="shared"
    )
    risk_services.risk_create(actor=pm, project=project, title=INTERNAL["risk"], probability=5, impact=5)
    issue_services.issue_raise(actor=pm, project=project, title=SHARED["issue"])
    issue_services.issue_raise(actor=pm, project=project, title=INTERNAL["issue"], visibility="internal")
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="ZT-DEV-1",
        title=SHARED["quality event"],
        kind="deviation",
        severity="minor",
        opened=today - dt.timedelta(days=4),
        visibility="shared",
    )
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="QX-CAPA-1",
        title=INTERNAL["quality event"],
        kind="capa",
        severity="major",
        opened=today - dt.timedelta(days=6),
        due=today - dt.timedelta(days=1),
    )
    cost_services.cost_entry_create(
        actor=pm,
        project=project,
        date=today - dt.timedelta(days=2),
        amount=Decimal(INTERNAL["cost amount"]),
        category="labour",
        description=INTERNAL["cost"],
    )
    make_response(project, world.viewer_a, nps=10, overall=5)
    scores_recompute(project_ids=[project.pk])
    return world


def _page(user, name: str, pk: int, query: str = ""):
    client = PageClient()
    client.force_login(user)
    return client.get(reverse(name, kwargs={"pk": pk}) + query)


def _assert_client_version(text: str) -> None:
    leaked = [kind for kind, marker in INTERNAL.items() if marker in text]
    assert not leaked, f"internal records in the client's report: {leaked}"
    missing = [kind for kind, marker in SHARED.items() if marker not in text]
    assert not missing, f"shared records missing from the client's report: {missing}"


@pytest.mark.parametrize("role", ["approver_a", "viewer_a"])
def test_the_client_pdf_holds_no_internal_value_and_every_shared_one(planted, role):
    response = _page(getattr(planted, role), "project-status-report-pdf", planted.project_a.pk)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    _assert_client_version(_text(response.content))


def test_the_staff_pdf_holds_the_internal_values(planted):
    for user in (planted.pm, planted.leadership):
        text = _text(_page(user, "project-status-report-pdf", planted.project_a.pk).content)

        missing = [kind for kind, marker in {**INTERNAL, **SHARED}.items() if marker not in text]
        assert not missing, f"the CMO's report misses: {missing}"


def test_a_slip_names_the_change_request_that_moved_it(planted):
    report = status_report(
        user=planted.approver_a, project_id=planted.project_a.pk, start=dt.date(2026, 1, 5), end=timezone.localdate()
    )

    slip = next(s for s in report.slips if s.milestone.name == SHARED["late milestone"])
    assert slip.slip_days == 9
    assert any(SHARED["slip reason"] in reason for reason in slip.reasons)


def test_the_client_page_shows_the_client_version(planted):
    response = _page(planted.approver_a, "project-status-report", planted.project_a.pk)

    assert response.status_code == 200
    html = response.content.decode()
    _assert_client_version(html)
    assert "Issue to client" not in html  # the PM's action only
    staff = _page(planted.pm, "project-status-report", planted.project_a.pk).content.decode()
    assert INTERNAL["risk"] in staff
    assert "Issue to client" in staff


def test_the_client_reader_sees_what_an_approver_sees(planted):
    start, end = default_period()
    as_role = render_status_report_pdf(client_reader(planted.client_a), planted.project_a, start, end)
    as_person = render_status_report_pdf(planted.approver_a, planted.project_a, start, end)

    assert as_role == as_person


@pytest.mark.parametrize("name", ["project-status-report", "project-status-report-pdf"])
@pytest.mark.parametrize("outsider", ["approver_b", "viewer_b"])
def test_another_clients_user_gets_404(planted, name, outsider):
    assert _page(getattr(planted, outsider), name, planted.project_a.pk).status_code == 404


def test_issuing_stores_the_client_version_as_a_shared_document_version(planted):
    pm, project = planted.pm, planted.project_a
    client = PageClient()
    client.force_login(pm)

    first = client.post(reverse("project-status-report", kwargs={"pk": project.pk}), {"start": "", "end": ""})
    second = client.post(
        reverse("project-status-report", kwargs={"pk": project.pk}), {"start": "2026-11-01", "end": "2026-11-30"}
    )

    assert first.status_code == 302
    assert second.status_code == 302
    document = Document.objects.get(project=project, kind=DocumentKind.REPORT)
    assert document.title == f"Status report {project.code}"
    assert document.visibility == "shared"
    versions = list(DocumentVersion.objects.filter(document=document).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    seen = version_get(user=planted.approver_a, pk=versions[0].pk)  # the client reads it
    download = PageClient()
    download.force_login(planted.approver_a)
    response = download.get(reverse("document-version-download", kwargs={"pk": seen.pk}))
    assert response.status_code == 200
    _assert_client_version(_text(b"".join(response.streaming_content)))
    events = DocumentVersion.pgh_event_model.objects.filter(pgh_obj_id=versions[0].pk, pgh_label="insert")
    assert "issued to" in events.get().pgh_context.metadata["reason"]
    assert Notification.objects.filter(recipient=planted.viewer_a, kind="status_report").count() == 2


def test_only_the_pm_issues(planted):
    for user in (planted.approver_a, planted.leadership, planted.other_pm):
        response = _page(user, "project-status-report", planted.project_a.pk)  # GET: a preview for all of them
        assert response.status_code == 200
        client = PageClient()
        client.force_login(user)
        refused = client.post(reverse("project-status-report", kwargs={"pk": planted.project_a.pk}), {})
        assert refused.status_code == 404
    assert not Document.objects.filter(kind=DocumentKind.REPORT).exists()


def test_issuing_with_an_inactive_client_is_refused_and_writes_nothing(planted):
    planted.client_a.active = False
    planted.client_a.save()
    from django.core.exceptions import ValidationError

    start, end = default_period()
    with pytest.raises(ValidationError, match="inactive"):
        status_report_issue(actor=planted.pm, project=planted.project_a, start=start, end=end)
    assert not Document.objects.filter(kind=DocumentKind.REPORT).exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=2026-13-40", "Enter a valid date"),
        ("?start=1900-01-01&end=1900-02-01", "Enter a date between"),
        ("?start=2026-11-30&end=2026-11-01", "start must be on or before its end"),
        ("?start=2024-01-01&end=2026-11-30", "at most 366 days"),
        ("?end=nonsense", "Enter a valid date"),
    ],
)
def test_a_bad_period_is_refused_with_a_sentence(planted, query, message):
    for name in ("project-status-report", "project-status-report-pdf"):
        response = _page(planted.approver_a, name, planted.project_a.pk, query)

        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_bad_period_issues_nothing(planted):
    client = PageClient()
    client.force_login(planted.pm)

    response = client.post(
        reverse("project-status-report", kwargs={"pk": planted.project_a.pk}),
        {"start": "2026-12-01", "end": "2026-01-01"},
    )

    assert response.status_code == 400
    assert not Document.objects.filter(kind=DocumentKind.REPORT).exists()


@pytest.mark.parametrize("reader", ["approver_a", "pm"])
def test_the_page_query_count_does_not_grow_with_milestones(planted, reader):
    user = getattr(planted, reader)
    project = planted.project_a
    today = timezone.localdate()

    def count() -> int:
        client = PageClient()
        client.force_login(user)
        client.get(reverse("project-status-report", kwargs={"pk": project.pk}))  # warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("project-status-report", kwargs={"pk": project.pk})).status_code == 200
        return len(queries)

    before = count()
    for n in range(40):
        day = today - dt.timedelta(days=n % 10)
        MilestoneFactory(
            project=project,
            sequence=100 + n,
            baseline_date=day - dt.timedelta(days=3),
            forecast_date=day,
            actual_date=day if n % 2 else None,
            percent_complete=Decimal(100) if n % 2 else Decimal(10),
        )
    assert Milestone.objects.for_user(user).filter(project=project).count() > 40
    assert count() == before


def test_a_new_pm_user_of_no_project_cannot_issue(planted):
    stranger = UserFactory(role=Role.PROJECT_MANAGER)
    from django.core.exceptions import PermissionDenied

    start, end = default_period()
    with pytest.raises(PermissionDenied):
        status_report_issue(actor=stranger, project=planted.project_a, start=start, end=end)
