"""Every list a user reads is a page read in the database: its query count does not grow with its rows (issue 13).

Every named URL of the portal (``tests/url_names.py``, as the isolation and invisibility suites walk them) is
classified here: a list page in ``PAGES``, an API list in ``API``, anything else in ``NOT_LISTS`` with the reason.
A new route fails ``test_every_route_is_classified`` until it is classified, so a new list cannot ship without
its query-count test.

For each list: build one row the reader can see, read the list (once to warm caches, once counted), add
``MORE`` rows (then the list holds one more row than a page), read it again counted. The two counts must be equal
(``CaptureQueriesContext``), and the response must be a page of at most ``PAGE_SIZE`` rows that knows about all of
them (a paginated list), unless the case says why its list is bounded otherwise (``paged=False``).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.paginator import Page
from django.db import connection
from django.test import Client as PageClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Role
from core.audit import audit_context
from core.paging import PAGE_SIZE
from metrics.scores.models import ScoreSnapshot
from metrics.scores.services import scores_recompute
from projects.models import BaselineStatus, ChangeRequestStatus, Document, Visibility
from tests.clients.factories import ClientFactory, PMCertificationFactory, UserFactory
from tests.conftest import World, api_as
from tests.metrics.factories import ClientKpiTargetFactory, ScoreSnapshotFactory, make_invitation, make_response
from tests.projects.factories import (
    BaselineFactory,
    BatchFactory,
    ChangeRequestFactory,
    CostEntryFactory,
    InvoiceFactory,
    IssueCommentFactory,
    IssueFactory,
    MilestoneFactory,
    NotificationFactory,
    ProjectFactory,
    ProjectTemplateFactory,
    QualityEventFactory,
    RiskFactory,
)
from tests.url_names import all_url_names

MORE = PAGE_SIZE  # added to the first row: one row more than a page

# --- Who reads, and how n rows of a list are made ---------------------------------------------------------------


@dataclass(frozen=True)
class ListCase:
    reader: Callable[[World], object]  # the role that reads this list
    add: Callable[[World, int], None]  # n more rows the reader sees
    kwargs: Callable[[World], dict] | None = None
    query: str = ""
    paged: bool = True
    reason: str = ""  # why a list is not a page (paged=False), or why it is expected to fail (xfail)
    xfail: bool = False


def _pm(w):
    return w.pm


def _lead(w):
    return w.leadership


def _admin(w):
    return w.admin


def _approver(w):
    return w.approver_a


def _project(w):
    return {"pk": w.project_a.pk}


def _times(factory, **fixed):
    def add(w: World, n: int) -> None:
        for _ in range(n):
            factory(**{k: (v(w) if callable(v) else v) for k, v in fixed.items()})

    return add


def _on_a(factory, **extra):
    return _times(factory, project=lambda w: w.project_a, **extra)


def _projects_with_scores(w: World, n: int, **fields) -> None:
    for _ in range(n):
        project = ProjectFactory(manager=w.pm, **fields)
        ScoreSnapshotFactory(project=project, rag="red")


def _client_a_projects(w: World, n: int) -> None:
    _projects_with_scores(w, n, client=w.client_a)


def _quality(w: World, n: int) -> None:
    for _ in range(n):
        batch = BatchFactory(project=w.project_a)
        QualityEventFactory(project=w.project_a, batch=batch, due=dt.date(2026, 1, 2))


def _costs(w: World, n: int) -> None:
    for _ in range(n):
        CostEntryFactory(project=w.project_a, created_by=w.pm)
        InvoiceFactory(project=w.project_a)


def _change_requests(w: World, n: int) -> None:
    for i in range(n):
        status = ChangeRequestStatus.APPROVED if i % 2 else ChangeRequestStatus.SUBMITTED
        ChangeRequestFactory(project=w.project_a, created_by=w.pm, status=status)


def _audited_changes(w: World, n: int) -> None:
    """``n`` audit events on project A, by the PM (each risk's insert is recorded by the database's trigger)."""
    with audit_context(actor=w.pm, channel="test", reason="Query-count test"):
        _on_a(RiskFactory, visibility=Visibility.INTERNAL)(w, n)


def _pms(w: World, n: int) -> None:
    for _ in range(n):
        pm = UserFactory(role=Role.PROJECT_MANAGER)
        PMCertificationFactory(user=pm, expires=timezone.localdate() + dt.timedelta(days=30))
        ScoreSnapshotFactory(project=ProjectFactory(manager=pm, client=w.client_a), rag="red")


def _responses(w: World, n: int) -> None:
    for _ in range(n):
        make_response(w.project_a, w.approver_a, nps=9, overall=4)


def _invitations(w: World, n: int) -> None:
    for _ in range(n):
        make_invitation(w.project_a, w.approver_a)


def _comments(w: World, n: int) -> None:
    issue = _thread_issue(w)
    for _ in range(n):
        IssueCommentFactory(issue=issue, author=w.approver_a)


def _thread_issue(w: World):
    if not hasattr(w, "thread_issue"):
        w.thread_issue = IssueFactory(project=w.project_a, raised_by=w.approver_a, title="Thread")
    return w.thread_issue


def _document_with_versions(w: World, versions: int):
    """A shared document of project A with ``versions`` versions (rows only: lists never read the files)."""
    from projects.models import Document, DocumentVersion

    document = Document.objects.create(
        project=w.project_a, title="CoA", kind="coa", visibility="shared", created_by=w.pm
    )
    latest = None
    for number in range(1, versions + 1):
        latest = DocumentVersion.objects.create(
            document=document,
            number=number,
            file=f"q/{document.pk}-{number}.pdf",
            original_filename=f"coa-v{number}.pdf",
            size=1000,
            sha256="0" * 64,
            content_type="application/pdf",
            uploaded_by=w.pm,
        )
    Document.objects.filter(pk=document.pk).update(current=latest)
    return document


def _documents(w: World, n: int) -> None:
    for _ in range(n):
        _document_with_versions(w, 1)


def _document(w):
    if not hasattr(w, "_query_document"):
        w._query_document = _document_with_versions(w, 0)
    return {"pk": w._query_document.pk}


def _versions(w: World, n: int) -> None:
    from projects.models import Document, DocumentVersion

    document = Document.objects.get(pk=_document(w)["pk"])
    start = DocumentVersion.objects.filter(document=document).count()
    for number in range(start + 1, start + n + 1):
        DocumentVersion.objects.create(
            document=document,
            number=number,
            file=f"q/{document.pk}-{number}.pdf",
            original_filename=f"coa-v{number}.pdf",
            size=1000,
            sha256="0" * 64,
            content_type="application/pdf",
            uploaded_by=w.pm,
        )
    Document.objects.filter(pk=document.pk).update(current=DocumentVersion.objects.filter(document=document).first())


def _issue(w):
    return {"pk": _thread_issue(w).pk}


def _clients(w: World, n: int) -> None:
    _times(ClientFactory)(w, n)


def _kpi_targets(w: World, n: int) -> None:
    for _ in range(n):
        ClientKpiTargetFactory(client=ClientFactory())


def _scored_projects(w: World, n: int) -> None:
    """``n`` projects of client A scored by the real recompute (both lenses)."""
    projects = [ProjectFactory(manager=w.pm, client=w.client_a) for _ in range(n)]
    scores_recompute(project_ids=[p.pk for p in projects], channel="test")


def _score_history(w: World, n: int) -> None:
    """``n`` more days of project A's score history: its real snapshots (both lenses) copied further back."""
    snapshots = ScoreSnapshot.objects.filter(project=w.project_a)
    if not snapshots.exists():
        scores_recompute(project_ids=[w.project_a.pk], channel="test")
    oldest = snapshots.order_by("bucket").first().bucket
    latest = list(snapshots.order_by("-bucket")[:2])
    for day in range(1, n + 1):
        for snapshot in latest:
            snapshot.pk = None
            snapshot.bucket = oldest - dt.timedelta(days=day)
            snapshot.save(force_insert=True)


def _baselines(w: World, n: int) -> None:
    _on_a(BaselineFactory, created_by=lambda w: w.pm, status=BaselineStatus.APPROVED)(w, n)


def _searchable(w: World, n: int) -> None:
    """``n`` shared records of every searched kind on project A, each holding the word "omega"."""
    for i in range(n):
        RiskFactory(project=w.project_a, title=f"Omega risk {i}")
        IssueFactory(project=w.project_a, raised_by=w.approver_a, title=f"Omega issue {i}")
        QualityEventFactory(project=w.project_a, title=f"Omega deviation {i}")
        ChangeRequestFactory(project=w.project_a, created_by=w.pm, title=f"Omega change {i}")
        MilestoneFactory(project=w.project_a, name=f"Omega milestone {i}")
        ProjectFactory(client=w.client_a, manager=w.pm, name=f"Omega project {i}")
        Document.objects.create(project=w.project_a, title=f"Omega CoA {i}", visibility="shared", created_by=w.pm)


PAGES: dict[str, ListCase] = {
    "project-list": ListCase(_pm, lambda w, n: _projects_with_scores(w, n)),
    "dashboard": ListCase(_approver, _client_a_projects),
    "portfolio": ListCase(_lead, lambda w, n: _projects_with_scores(w, n)),
    "pm-workload": ListCase(_lead, _pms),
    "project-risks": ListCase(_pm, _on_a(RiskFactory, owner=lambda w: w.pm), _project),
    "project-issues": ListCase(_approver, _on_a(IssueFactory, raised_by=lambda w: w.approver_a), _project),
    "project-quality": ListCase(_pm, _quality, _project),
    "project-costs": ListCase(_pm, _costs, _project),
    "project-change-requests": ListCase(_approver, _change_requests, _project),
    "notifications": ListCase(
        _approver, _times(NotificationFactory, recipient=lambda w: w.approver_a, project=lambda w: w.project_a)
    ),
    "project-audit": ListCase(_pm, _audited_changes, _project),
    "audit-report": ListCase(_lead, _audited_changes),
    "survey-list": ListCase(
        _lead,
        _responses,
        paged=False,
        reason="satisfaction grouped by client (one row per group) and the 25 latest answers",
    ),
    "lean-portfolio": ListCase(
        _lead, lambda w, n: _projects_with_scores(w, n), paged=False, reason="Lean figures grouped by client"
    ),
    "kpi-targets": ListCase(
        _lead, _kpi_targets, paged=False, reason="one row per client and measure: the clients' agreed targets"
    ),
    "project-detail": ListCase(
        _pm,
        _on_a(MilestoneFactory),
        _project,
        paged=False,
        reason="the project's plan: its milestones drawn whole on the timeline beside the table",
    ),
    "project-baselines": ListCase(
        _pm, _baselines, _project, paged=False, reason="the project's baselines, one per re-baseline, compared"
    ),
    "project-status-report": ListCase(
        _approver,
        _on_a(MilestoneFactory),
        _project,
        paged=False,
        reason="one period's report, printed whole as its PDF (tests/projects/test_status_report.py)",
    ),
    "project-scores": ListCase(
        _pm, _score_history, _project, paged=False, reason="score history charted (thinned nightly by retention)"
    ),
    "issue-detail": ListCase(_approver, _comments, _issue, paged=False, reason="one issue's comment thread"),
    "project-documents": ListCase(_approver, _documents, _project),
    "document-detail": ListCase(
        _approver, _versions, _document, paged=False, reason="one document's version history (each upload a version)"
    ),
    "search": ListCase(
        _approver,
        _searchable,
        query="?q=omega",
        paged=False,
        reason="results grouped by kind: at most 5 of each kind, with the count of the rest (25 for one kind)",
    ),
}

API: dict[str, ListCase] = {
    "api:client-list": ListCase(_admin, _clients),
    "api:user-list": ListCase(_admin, _times(UserFactory, role=Role.PROJECT_MANAGER)),
    "api:project-list": ListCase(_approver, _client_a_projects),
    "api:milestone-list": ListCase(_approver, _on_a(MilestoneFactory)),
    "api:baseline-list": ListCase(_pm, _baselines),
    "api:template-list": ListCase(_admin, _times(ProjectTemplateFactory)),
    "api:score-list": ListCase(_approver, _scored_projects),
    "api:cost-entry-list": ListCase(_pm, _on_a(CostEntryFactory, created_by=lambda w: w.pm)),
    "api:invoice-list": ListCase(_approver, _on_a(InvoiceFactory)),
    "api:change-request-list": ListCase(_approver, _change_requests),
    "api:batch-list": ListCase(_approver, _on_a(BatchFactory)),
    "api:quality-event-list": ListCase(_approver, _quality),
    "api:risk-list": ListCase(_approver, _on_a(RiskFactory, owner=lambda w: w.pm)),
    "api:issue-list": ListCase(_approver, _on_a(IssueFactory, raised_by=lambda w: w.approver_a)),
    "api:issue-comments": ListCase(_approver, _comments, _issue),
    "api:document-list": ListCase(_approver, _documents),
    "api:document-versions": ListCase(
        _approver, _versions, _document, paged=False, reason="one document's version history (each upload a version)"
    ),
    "api:notification-list": ListCase(
        _approver, _times(NotificationFactory, recipient=lambda w: w.approver_a, project=lambda w: w.project_a)
    ),
    "api:survey-list": ListCase(_approver, _invitations),
    "api:survey-response-list": ListCase(_approver, _responses),
    "api:pm-certification-list": ListCase(
        _lead, lambda w, n: [PMCertificationFactory(user=UserFactory(role=Role.PROJECT_MANAGER)) for _ in range(n)]
    ),
    "api:webhook-list": ListCase(_lead, lambda w, n: [_webhook(w) for _ in range(n)]),
    "api:webhook-deliveries": ListCase(
        _lead, lambda w, n: _webhook_deliveries(w, n), lambda w: {"pk": _first_webhook(w).pk}
    ),
    "api:project-audit": ListCase(_pm, _audited_changes, _project),
    "api:project-scores": ListCase(_pm, _score_history, _project),
    "api:portfolio-summary": ListCase(_lead, lambda w, n: _projects_with_scores(w, n)),
    "api:portfolio-lean": ListCase(
        _lead, lambda w, n: _projects_with_scores(w, n), paged=False, reason="Lean figures grouped by client"
    ),
    "api:search": ListCase(
        _approver,
        _searchable,
        query="?q=omega",
        paged=False,
        reason="results grouped by kind: at most 5 of each kind, with the count of the rest (25 for one kind)",
    ),
}

ONE = "one record, not a list"
WRITE = "a write (POST); it answers one record"
NOT_LISTS: dict[str, str] = {
    "home": "redirects to the reader's start page",
    "project-create": "a form",
    "project-start": WRITE,
    "project-audit-csv": "an export (the export helper's lists: streamed or built by a worker)",
    "project-calendar": "an iCalendar feed (an export), not a page",
    "calendar-subscription": "the user's one calendar link",
    "calendar-feed": "an iCalendar feed (an export), not a page",
    "calendar-feed-project": "an iCalendar feed (an export), not a page",
    "milestone-edit": WRITE,
    "checklist-toggle": WRITE,
    "plan-import": "an upload form; its preview lists the uploaded file's rows, not the database's",
    "plan-import-new": "a form; its preview lists the uploaded file's rows, not the database's",
    "baseline-sign": "one baseline to sign",
    "change-request-detail": ONE,
    "tradeoff-decide": ONE,
    "scoring-policy": "one policy and its form",
    "survey-answer": "one survey to answer",
    "view-as-start": "one client's active approvers to choose from (a handful, not a growing list)",
    "view-as-stop": WRITE,
    "audit-report-csv": "an export (the export helper's lists: streamed or built by a worker)",
    "audit-report-pdf": "an export (the export helper's lists: streamed or built by a worker)",
    "project-status-report-pdf": "an export: the status report page's PDF (the page's count is pinned)",
    "portfolio-export": "starts an export job (a write)",
    "export-job": "one export job's progress",
    "export-job-download": "one export job's file",
    "login": "a form",
    "logout": "a form",
    "password_change": "a form",
    "password_change_done": "a message",
    "password_reset": "a form",
    "password_reset_done": "a message",
    "password_reset_confirm": "a form for one user",
    "password_reset_complete": "a message",
    "two-factor": "the user's own authenticator and a form",
    "two-factor-verify": "a form",
    "passkey": "one step of a passkey ceremony (POST, JSON): the user's own credential",
    "language-set": WRITE,
    "sso-start": "a form (single sign-on by e-mail domain)",
    "sso-callback": "one sign-in's last step (tests/sso/)",
    "healthz": "a health check",
    "readyz": "a health check",
    "api:token": "issues a token",
    "api:schema": "the OpenAPI document",
    "api:docs": "the API's documentation page",
    "api:redoc": "the API's documentation page",
    "api:api-root": "the index of the API's resources",
    "api:user-me": "the reader themself",
    "api:client-detail": ONE,
    "api:document-detail": ONE,
    "api:document-download": "one version's file",
    "document-version-download": "one version's file",
    "api:document-issue": WRITE,
    "api:document-approve": WRITE,
    "api:document-reject": WRITE,
    "api:user-detail": ONE,
    "api:project-detail": ONE,
    "api:project-what-if": "one project's what-if (POST)",
    "api:milestone-detail": ONE,
    "api:baseline-detail": ONE,
    "api:baseline-approve": WRITE,
    "api:baseline-reject": WRITE,
    "api:baseline-rebaseline": WRITE,
    "api:template-detail": ONE,
    "api:cost-entry-detail": ONE,
    "api:cost-entry-import": WRITE,
    "api:project-plan-import": WRITE,
    "api:plan-import": WRITE,
    "api:invoice-detail": ONE,
    "api:change-request-detail": ONE,
    "api:change-request-submit": WRITE,
    "api:change-request-withdraw": WRITE,
    "api:change-request-approve": WRITE,
    "api:change-request-reject": WRITE,
    "api:batch-detail": ONE,
    "api:quality-event-detail": ONE,
    "api:quality-event-close": WRITE,
    "api:risk-detail": ONE,
    "api:issue-detail": ONE,
    "api:issue-resolve": WRITE,
    "api:notification-detail": ONE,
    "api:notification-mark-read": WRITE,
    "api:survey-detail": ONE,
    "api:survey-answer": WRITE,
    "api:survey-response-detail": ONE,
    "api:pm-certification-detail": ONE,
    "api:webhook-detail": ONE,
}


def _webhook(w):
    """A new webhook endpoint of client A (integrations)."""
    from integrations.services import webhook_endpoint_create

    return webhook_endpoint_create(
        actor=w.admin, client=w.client_a, name="Aurora ERP", url="https://hooks.aurora.example/", events=["rag.changed"]
    )[0]


def _first_webhook(w):
    from integrations.models import WebhookEndpoint

    return WebhookEndpoint.objects.filter(client=w.client_a).order_by("pk").first() or _webhook(w)


def _webhook_deliveries(w, n: int) -> None:
    """n more deliveries to client A's first endpoint."""
    from integrations.models import WebhookDelivery

    endpoint = _first_webhook(w)
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=endpoint, event="rag.changed", payload={"n": i}) for i in range(n)]
    )


# --- The enumeration ------------------------------------------------------------------------------------------------


def test_every_route_is_classified():
    names = all_url_names()
    classified = [*PAGES, *API, *NOT_LISTS]
    twice = sorted({n for n in classified if classified.count(n) > 1})
    assert not twice, f"Classified twice in tests/test_query_counts.py: {twice}"
    missing = sorted(names - set(classified))
    assert not missing, (
        "Classify these routes in tests/test_query_counts.py: a list in PAGES or API (with the rows it lists), "
        f"anything else in NOT_LISTS with the reason: {missing}"
    )
    stale = sorted(set(classified) - names)
    assert not stale, f"No longer routes, remove them from tests/test_query_counts.py: {stale}"


def test_every_api_list_route_is_in_the_table():
    """A router's list route (``…-list``) is a list whatever NOT_LISTS says."""
    lists = {name for name in all_url_names() if name.startswith("api:") and name.endswith("-list")}
    assert lists <= set(API), sorted(lists - set(API))


def _router_viewsets():
    from cmo_portal.api_urls import router

    return [(prefix, viewset) for prefix, viewset, _basename in router.registry]


@pytest.mark.parametrize(("prefix", "viewset"), _router_viewsets(), ids=[prefix for prefix, _ in _router_viewsets()])
def test_every_api_viewset_is_paginated(prefix, viewset):
    """No viewset turns the strict pagination (``core.filtering.StrictPageNumberPagination``) off."""
    from core.filtering import StrictPageNumberPagination

    assert viewset.pagination_class is not None, f"/api/v1/{prefix}/ is not paginated"
    assert issubclass(viewset.pagination_class, StrictPageNumberPagination)


# --- Reading a list with 1 and with 1 + MORE rows -------------------------------------------------------------------


def _read(name: str, case: ListCase, w: World):
    url = reverse(name, kwargs=case.kwargs(w) if case.kwargs else None) + case.query
    reader = case.reader(w)
    if name.startswith("api:"):
        client = api_as(reader)
    else:
        client = PageClient()
        client.force_login(reader)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{name} as {reader}: {response.status_code}"
    return response, len(queries)


def _pages(response) -> list[Page]:
    pages = []
    for context in response.context or []:
        for value in context.flatten().values():
            page = value if isinstance(value, Page) else getattr(value, "page", None)  # projects.listing's listing
            if isinstance(page, Page) and page not in pages:
                pages.append(page)
    return pages


def _assert_a_page(name: str, response, rows: int) -> None:
    if name.startswith("api:"):
        body = response.json()
        listed = body.get("results", body.get("projects"))
        assert listed is not None, f"{name}: not a page (no results)"
        assert len(listed) <= PAGE_SIZE, f"{name}: {len(listed)} rows on one page"
        assert body["count"] >= rows, f"{name}: the page does not count every row ({body['count']} < {rows})"
        assert body["next"], f"{name}: {body['count']} rows and no next page"
        return
    pages = _pages(response)
    assert pages, f"{name}: not paginated (no Page in the template's context)"
    assert all(len(page.object_list) <= PAGE_SIZE for page in pages), f"{name}: more than {PAGE_SIZE} rows"
    assert max(page.paginator.count for page in pages) >= rows, f"{name}: the pages do not count every row"
    assert 'rel="next"' in response.content.decode(), f"{name}: no link to the next page"


def _params(table: dict[str, ListCase]):
    return [
        pytest.param(
            name, case, id=name, marks=[pytest.mark.xfail(strict=True, reason=case.reason)] if case.xfail else []
        )
        for name, case in table.items()
    ]


def _check(name: str, case: ListCase, world: World) -> None:
    case.add(world, 1)
    _read(name, case, world)  # warm: caches, the session, lazily built choices
    _, one = _read(name, case, world)
    case.add(world, MORE)
    response, many = _read(name, case, world)
    assert many == one, f"{name}: {one} queries with 1 row, {many} with {1 + MORE}"
    if case.paged:
        _assert_a_page(name, response, 1 + MORE)
    print(f"query count {name}: {one} with 1 row, {many} with {1 + MORE}")  # shown with -s


@pytest.mark.parametrize(("name", "case"), _params(PAGES))
def test_list_page_queries_do_not_grow_with_rows(name, case, world):
    _check(name, case, world)


@pytest.mark.parametrize(("name", "case"), _params(API))
def test_api_list_queries_do_not_grow_with_rows(name, case, world):
    _check(name, case, world)


def test_unpaged_lists_say_why():
    unpaged = {name: case for name, case in {**PAGES, **API}.items() if not case.paged}
    assert all(case.reason for case in unpaged.values()), [n for n, c in unpaged.items() if not c.reason]
