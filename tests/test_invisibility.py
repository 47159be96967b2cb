"""Invisibility: adding internal records to a project changes no byte a client user can reach.

Build a project with records shared with its client, snapshot everything a client user of it can
reach (every named URL of the portal, filled with the project's and its shared records' ids; every API
list unfiltered and filtered; the what-if; notifications; the e-mails, the weekly digest among them),
add internal records (internal risk, internal quality events with an overdue CAPA, an internal
milestone, an internal issue with a comment, cost entries, a draft change request and a draft withdrawn
before submission), recompute the scores and the Lean roll-up with the real services, and snapshot
again: the client's view must be byte-for-byte the same (timestamps, CSRF tokens and nonces masked).
The CMO staff's view of the same project must have changed, or the test proves nothing.

Every named URL must be declared in ``ROUTES`` (or ``EXEMPT`` with the reason): a new page or API
route a client can reach fails ``test_every_url_is_declared`` until it is covered here.
"""

import datetime as dt
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client as PageClient
from django.urls import resolve, reverse

from clients.models import Client, User
from clients.services import calendar_feed_token_issue
from metrics.lean import services as lean_services
from metrics.portfolio.digest import weekly_digest_messages
from metrics.scores.models import TradeoffProposal
from metrics.scores.services import scores_recompute, tradeoff_propose
from metrics.surveys.models import SurveyInvitation, SurveyResponse
from metrics.surveys.services import invitation_token
from projects import services as project_services
from projects.baselines import services as baseline_services
from projects.change_requests import services as change_request_services
from projects.costs import services as cost_services
from projects.documents import services as document_services
from projects.issues import services as issue_services
from projects.milestones import services as milestone_services
from projects.models import (
    Baseline,
    Batch,
    ChangeRequest,
    ChecklistItem,
    CostEntry,
    Document,
    Invoice,
    Issue,
    Milestone,
    Notification,
    Project,
    QualityEvent,
    Risk,
)
from projects.notifications import services as notification_service
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from tests.conftest import World, api_as
from tests.metrics.factories import certification, make_invitation, make_response
from tests.projects.document_factories import make_document
from tests.projects.factories import ChecklistItemFactory
from tests.url_names import PUBLIC, all_url_names

# --- The project and what its client may see ------------------------------------------------------


@dataclass
class Shared:
    """Client A's project with one record of every kind shared with the client."""

    world: World
    project: Project
    client: Client
    milestone: Milestone
    checklist: ChecklistItem
    proposed_baseline: Baseline
    change: ChangeRequest  # submitted: awaits the client's decision (what-if shown on its page)
    batch: Batch
    invoice: Invoice
    quality_event: QualityEvent
    risk: Risk
    issue: Issue
    notification: Notification
    invitation: SurveyInvitation
    response: SurveyResponse
    tradeoff_proposal: TradeoffProposal
    cost_entry: CostEntry  # internal from the start (cost always is): its detail answers the client 404
    calendar_secret: str  # the client user's secret calendar-feed link
    now: dt.datetime  # every recompute and the digest run at this moment: one score bucket
    document: Document | None = None  # shared with the client and issued for their review


def _build_shared(world: World) -> Shared:
    pm, project = world.pm, world.project_a
    checklist = ChecklistItemFactory(milestone=world.milestone_a, text="Aurora shared checklist")
    project_services.project_start(actor=pm, project=project)
    milestone_services.milestone_update(actor=pm, milestone=world.milestone_a, percent_complete=Decimal(40))
    proposed = baseline_services.baseline_propose(actor=pm, project=project, reason="Agreed line change")
    change = change_request_services.change_request_create(
        actor=pm,
        project=project,
        title="Aurora shared fill volume change",
        schedule_impact_days=7,
        cost_impact=Decimal("15000.00"),
        scope_impact_percent=Decimal("2.00"),
    )
    change = change_request_services.change_request_submit(actor=pm, change=change)
    batch = quality_services.batch_create(
        actor=pm, project=project, number="AUR-B-001", planned_date=dt.date(2026, 5, 4)
    )
    invoice = cost_services.invoice_create(
        actor=pm, project=project, number="AUR-INV-001", date=dt.date(2026, 3, 31), amount=Decimal("250000.00")
    )
    quality_event = quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="AUR-DEV-001",
        title="Aurora shared minor deviation",
        kind="deviation",
        severity="minor",
        opened=dt.date(2026, 3, 2),
        visibility="shared",
    )
    risk = risk_services.risk_create(
        actor=pm, project=project, title="Aurora shared supply risk", probability=2, impact=2, visibility="shared"
    )
    issue = issue_services.issue_raise(actor=pm, project=project, title="Aurora shared label question")
    issue_services.issue_comment(actor=world.approver_a, issue=issue, body="Which label version?")
    issue_services.issue_comment(actor=pm, issue=issue, body="Version 3, attached.")
    invitation = make_invitation(project, world.approver_a)
    response = make_response(project, world.viewer_a, nps=9, overall=4)
    tradeoff = tradeoff_propose(
        actor=pm,
        project=project,
        matrix={"time": "constrain", "scope": "accept", "quality": "constrain", "cost": "optimize"},
        reason="Aurora shared priorities",
    )
    lean_services.kpi_target_set(actor=world.leadership, client=world.client_a, metric="on_time_milestones", target=90)
    lean_services.kpi_target_set(
        actor=world.leadership, client=world.client_a, metric="issue_response_hours", target=48
    )
    document = make_document(project, pm, title="Aurora shared CoA lot 42")
    document_services.document_version_issue(actor=pm, version=document.current)
    notification = Notification.objects.for_user(world.approver_a).filter(project=project).first()
    # Pages a notification points at mark it read when opened: start with every one read, so opening pages
    # writes nothing and two snapshots in a row are equal.
    for user in (world.viewer_a, world.approver_a):
        ids = list(Notification.objects.for_user(user).values_list("pk", flat=True))
        notification_service.mark_read(user=user, ids=ids)
    project.refresh_from_db()
    return Shared(
        world=world,
        project=project,
        client=world.client_a,
        milestone=world.milestone_a,
        checklist=checklist,
        proposed_baseline=proposed,
        change=change,
        batch=batch,
        invoice=invoice,
        quality_event=quality_event,
        risk=risk,
        issue=issue,
        notification=notification,
        invitation=invitation,
        response=response,
        tradeoff_proposal=tradeoff,
        cost_entry=cost_services.cost_entry_create(
            actor=pm, project=project, date=dt.date(2026, 2, 27), amount=Decimal("120000.00"), category="materials"
        ),
        calendar_secret=calendar_feed_token_issue(actor=world.approver_a, user=world.approver_a)[1],
        now=dt.datetime.now(dt.UTC),
        document=document,
    )


def _add_internal_records(s: Shared) -> None:
    """What the CMO records for itself: none of it may change what the client sees."""
    pm, project = s.world.pm, s.project
    risk_services.risk_create(
        actor=pm, project=project, title="Internal: key operator leaving", probability=5, impact=5
    )
    risk_services.risk_create(actor=pm, project=project, title="Internal: margin erosion", probability=4, impact=4)
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="INT-CAPA-001",
        title="Internal CAPA on cleaning validation",
        kind="capa",
        severity="major",
        opened=dt.date(2026, 2, 2),
        due=dt.date(2026, 3, 2),
    )
    quality_services.quality_event_create(
        actor=pm,
        project=project,
        reference="INT-DEV-002",
        title="Internal critical deviation",
        kind="deviation",
        severity="critical",
        opened=dt.date(2026, 4, 1),  # not on a batch: an event on a client's batch is always shared
    )
    milestone_services.milestone_create(
        actor=pm,
        project=project,
        name="Internal costing checkpoint",
        baseline_date=s.now.date() - dt.timedelta(days=30),
        forecast_date=s.now.date(),
        actual_date=s.now.date(),  # completed late this quarter: counts in the Lean on-time KPI
        percent_complete=Decimal(100),
        weight=Decimal("0.30"),
        client_visible=False,
    )
    internal_issue = issue_services.issue_raise(
        actor=pm, project=project, title="Internal: staffing gap on line 3", visibility="internal"
    )
    issue_services.issue_comment(actor=s.world.admin, issue=internal_issue, body="Hire a contractor.")
    for amount in ("480000.00", "390000.00"):
        cost_services.cost_entry_create(
            actor=pm, project=project, date=dt.date(2026, 4, 30), amount=Decimal(amount), category="labour"
        )
    change_request_services.change_request_create(
        actor=pm, project=project, title="Internal draft: move to line 7", cost_impact=Decimal("99000.00")
    )
    withdrawn = change_request_services.change_request_create(
        actor=pm, project=project, title="Internal draft withdrawn", schedule_impact_days=30
    )
    change_request_services.change_request_withdraw(actor=pm, change=withdrawn)
    make_document(project, pm, title="Internal: yield investigation", visibility="internal", kind="report")
    make_document(project, pm, title="Internal: supplier audit", visibility="internal", kind="coa")


def _recompute(s: Shared) -> None:
    """The real recomputes: scores (one 15-minute bucket, so history keeps one row) and the Lean roll-up."""
    scores_recompute(project_ids=[s.project.pk], now=s.now)
    lean_services.lean_rollup_refresh(now=s.now)


# --- Every route, declared -------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    kind: str  # "page" | "api"
    kwargs: Callable[[Shared], dict] | None = None
    queries: tuple[str, ...] = ("",)  # variants; "{project}" and "{client}" are filled in
    method: str = "get"
    body: Callable[[Shared], dict] | None = None


def _project(s: Shared) -> dict:
    return {"pk": s.project.pk}


def _staff_export_job(s: Shared) -> int:
    """The PM's portfolio export job (asking again while it is queued gives the same job): a client reads 404."""
    from metrics.export_jobs.services import export_job_request

    return export_job_request(actor=s.world.pm, kind="portfolio_xlsx", posted={}).pk


WHAT_IF_BODY = {"schedule_impact_days": 14, "cost_impact": "5000.00", "scope_impact_percent": "2.00"}
WHAT_IF_QUERY = "?schedule_impact_days=14&cost_impact=5000&scope_impact_percent=2&quality_impact=minor"

# Words that the shared records and the internal ones added later both hold: the client's results must not move.
SEARCH_QUERIES = ("?q=Aurora", "?q=internal", "?q=line", "?q=deviation", "?q=cleaning+validation", "?q=risk&kind=risk")

# Every named URL, filled with client A's project or its shared records. Routes that only write (POST)
# are read with GET: what a client can read there is the refusal (405/404/redirect), which must not vary.
# API lists are also read filtered by every ``project``/``client`` filter their filterset declares.
ROUTES: dict[str, Read] = {
    # Pages
    "home": Read("page"),
    "dashboard": Read("page"),
    "project-list": Read("page", queries=("", "?mine=1")),
    "project-create": Read("page"),
    "project-detail": Read("page", _project),
    "project-start": Read("page", _project),
    "project-baselines": Read("page", _project),
    "project-audit": Read("page", _project),
    "project-audit-csv": Read("page", _project),
    "project-calendar": Read("page", _project),
    "calendar-subscription": Read("page"),
    "calendar-feed": Read("page", lambda s: {"token": s.calendar_secret}),
    "calendar-feed-project": Read("page", lambda s: {"token": s.calendar_secret, "pk": s.project.pk}),
    "milestone-edit": Read("page", lambda s: {"pk": s.milestone.pk}),
    "checklist-toggle": Read("page", lambda s: {"pk": s.checklist.pk}),
    "plan-import": Read("page", _project),  # the PM's import page: a client gets 404
    "plan-import-new": Read("page"),  # a new project from a plan: PMs and admins only, a client gets 404
    "baseline-sign": Read("page", lambda s: {"pk": s.proposed_baseline.pk}),
    "project-costs": Read("page", _project),
    "project-change-requests": Read("page", _project),
    "change-request-detail": Read("page", lambda s: {"pk": s.change.pk}),  # with its what-if section
    "project-quality": Read("page", _project),
    "project-risks": Read("page", _project),
    "project-issues": Read("page", _project),
    "issue-detail": Read("page", lambda s: {"pk": s.issue.pk}),
    "notifications": Read("page"),
    "project-documents": Read("page", _project, queries=("", "?kind=coa", "?status=draft")),
    "document-detail": Read("page", lambda s: {"pk": s.document.pk}),
    "document-version-download": Read("page", lambda s: {"pk": s.document.current_id}),
    "search": Read("page", queries=SEARCH_QUERIES),
    "project-scores": Read("page", _project, queries=("", WHAT_IF_QUERY)),
    "project-status-report": Read("page", _project, queries=("", "?start=2026-01-01&end=2026-12-31")),
    "project-status-report-pdf": Read("page", _project, queries=("", "?start=2026-01-01&end=2026-12-31")),
    "tradeoff-decide": Read("page", lambda s: {"pk": s.tradeoff_proposal.pk}),
    "scoring-policy": Read("page"),
    "portfolio": Read("page", queries=("", "?format=csv")),
    "portfolio-export": Read("page", lambda s: {"fmt": "xlsx"}),  # XLSX and PDF: export jobs (POST)
    "export-job": Read("page", lambda s: {"pk": _staff_export_job(s)}),
    "export-job-download": Read("page", lambda s: {"pk": _staff_export_job(s)}),
    "survey-list": Read("page"),
    "survey-answer": Read("page", lambda s: {"token": invitation_token(s.invitation)}),
    "lean-portfolio": Read("page"),
    "kpi-targets": Read("page"),
    "pm-workload": Read("page"),
    "audit-report": Read("page"),
    "view-as-start": Read("page", lambda s: {"pk": s.client.pk}),  # staff only: the client's own id answers 404
    "view-as-stop": Read("page"),  # POST only
    "audit-report-csv": Read("page"),
    "audit-report-pdf": Read("page"),
    "logout": Read("page"),
    "password_change": Read("page"),
    "password_change_done": Read("page"),
    "two-factor": Read("page"),  # the user's own authenticator (no project data)
    "two-factor-verify": Read("page"),  # redirects unless a login waits for its code
    "passkey": Read("page", lambda s: {"step": "register-begin"}),  # POST only: the user's own passkey ceremony
    "language-set": Read("page"),  # POST only: the user's own language (issue 15)
    # API
    "api:api-root": Read("api"),
    "api:user-me": Read("api"),
    "api:client-list": Read("api"),
    "api:client-detail": Read("api", lambda s: {"pk": s.client.pk}),
    "api:user-list": Read("api"),
    "api:user-detail": Read("api", lambda s: {"pk": s.world.approver_a.pk}),
    "api:project-list": Read("api"),
    "api:project-detail": Read("api", _project),
    "api:project-scores": Read("api", _project),
    "api:project-what-if": Read("api", _project, method="post", body=lambda s: WHAT_IF_BODY),
    "api:project-audit": Read("api", _project),
    "api:milestone-list": Read("api"),
    "api:milestone-detail": Read("api", lambda s: {"pk": s.milestone.pk}),
    "api:baseline-list": Read("api"),
    "api:baseline-detail": Read("api", lambda s: {"pk": s.proposed_baseline.pk}),
    "api:baseline-approve": Read("api", lambda s: {"pk": s.proposed_baseline.pk}),
    "api:baseline-reject": Read("api", lambda s: {"pk": s.proposed_baseline.pk}),
    "api:baseline-rebaseline": Read("api"),
    "api:template-list": Read("api"),
    "api:template-detail": Read("api", lambda s: {"pk": s.world.template.pk}),
    "api:score-list": Read("api", queries=("", "?project={project}", "?client={client}")),
    "api:cost-entry-list": Read("api"),
    "api:cost-entry-detail": Read("api", lambda s: {"pk": s.cost_entry.pk}),
    "api:cost-entry-import": Read("api"),
    "api:project-plan-import": Read("api", _project),  # POST only: a client reads 405 (and 403 on a POST)
    "api:plan-import": Read("api"),
    "api:invoice-list": Read("api"),
    "api:invoice-detail": Read("api", lambda s: {"pk": s.invoice.pk}),
    "api:change-request-list": Read("api"),
    "api:change-request-detail": Read("api", lambda s: {"pk": s.change.pk}),
    "api:change-request-submit": Read("api", lambda s: {"pk": s.change.pk}),
    "api:change-request-withdraw": Read("api", lambda s: {"pk": s.change.pk}),
    "api:change-request-approve": Read("api", lambda s: {"pk": s.change.pk}),
    "api:change-request-reject": Read("api", lambda s: {"pk": s.change.pk}),
    "api:batch-list": Read("api"),
    "api:batch-detail": Read("api", lambda s: {"pk": s.batch.pk}),
    "api:quality-event-list": Read("api"),
    "api:quality-event-detail": Read("api", lambda s: {"pk": s.quality_event.pk}),
    "api:quality-event-close": Read("api", lambda s: {"pk": s.quality_event.pk}),
    "api:risk-list": Read("api"),
    "api:risk-detail": Read("api", lambda s: {"pk": s.risk.pk}),
    "api:issue-list": Read("api"),
    "api:issue-detail": Read("api", lambda s: {"pk": s.issue.pk}),
    "api:issue-comments": Read("api", lambda s: {"pk": s.issue.pk}),
    "api:issue-resolve": Read("api", lambda s: {"pk": s.issue.pk}),
    "api:document-list": Read("api", queries=("", "?kind=coa", "?status=draft")),
    "api:document-detail": Read("api", lambda s: {"pk": s.document.pk}),
    "api:document-versions": Read("api", lambda s: {"pk": s.document.pk}),
    "api:document-download": Read("api", lambda s: {"pk": s.document.pk, "number": 1}),
    "api:document-issue": Read("api", lambda s: {"pk": s.document.pk}),
    "api:document-approve": Read("api", lambda s: {"pk": s.document.pk}),
    "api:document-reject": Read("api", lambda s: {"pk": s.document.pk}),
    "api:notification-list": Read("api"),
    "api:notification-detail": Read("api", lambda s: {"pk": s.notification.pk}),
    "api:notification-mark-read": Read("api"),
    "api:survey-list": Read("api"),
    "api:survey-detail": Read("api", lambda s: {"pk": s.invitation.pk}),
    "api:survey-answer": Read("api", lambda s: {"pk": s.invitation.pk}),
    "api:survey-response-list": Read("api"),
    "api:survey-response-detail": Read("api", lambda s: {"pk": s.response.pk}),
    "api:portfolio-summary": Read("api"),
    "api:portfolio-lean": Read("api"),
    "api:search": Read("api", queries=SEARCH_QUERIES),
    "api:pm-certification-list": Read("api"),
    "api:pm-certification-detail": Read("api", lambda s: {"pk": certification(s.world).pk}),
    "api:webhook-list": Read("api"),
    "api:webhook-detail": Read("api", lambda s: _webhook(s)),
    "api:webhook-deliveries": Read("api", lambda s: _webhook(s)),
}


def _webhook(s: Shared) -> dict:
    """Client A's webhook endpoint (integrations: CMO staff only, a client reads 403)."""
    from integrations.models import WebhookEndpoint
    from integrations.services import webhook_endpoint_create

    endpoint = (
        WebhookEndpoint.objects.filter(client=s.world.client_a).first()
        or webhook_endpoint_create(
            actor=s.world.admin,
            client=s.world.client_a,
            name="Aurora ERP",
            url="https://hooks.aurora.example/",
            events=["milestone.completed"],
        )[0]
    )
    return {"pk": endpoint.pk}


# Reads that are not a URL name of their own but vary with the body or a second record.
EXTRA_POSTS: dict[str, tuple[str, Read]] = {
    "api:project-what-if (shared change request)": (
        "api:project-what-if",
        Read("api", _project, method="post", body=lambda s: {"change_request": s.change.pk}),
    ),
}

EXEMPT = {name: "public: the same for everyone, before login" for name in PUBLIC}


def test_every_url_is_declared():
    names = all_url_names()
    missing = names - set(ROUTES) - set(EXEMPT)
    assert not missing, f"Declare these URLs in tests/test_invisibility.py ROUTES: {sorted(missing)}"
    stale = set(ROUTES) - names
    assert not stale, f"No longer URLs, remove from ROUTES: {sorted(stale)}"


# --- Fetching and masking ------------------------------------------------------------------------

MASKS = [
    (re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+'), r"\1<csrf>"),
    (re.compile(r"(X-CSRFToken(?:&quot;|\")\s*:\s*(?:&quot;|\"))[A-Za-z0-9]+"), r"\1<csrf>"),
    (re.compile(r'(csrf[-_]token" content=")[^"]+'), r"\1<csrf>"),
    (re.compile(r'nonce="[^"]*"'), 'nonce="<nonce>"'),
    # A new authenticator secret for each session that opens the two-factor set-up (issue 15).
    (re.compile(r'<div class="qr-code">.*?</div>', re.DOTALL), '<div class="qr-code"><qr></div>'),
    (re.compile(r'(<code class="totp-secret">)[A-Z2-7 ]+'), r"\1<secret>"),
    (re.compile(r"(/surveys/answer/)[^/\"]+"), r"\1<signed token with its time>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<datetime>"),
    (re.compile(r"^DTSTAMP[:;].*$", re.MULTILINE), "DTSTAMP:<now>"),
    # A score's "Computed 02 Dec 2026 08:25 UTC" is the wall-clock time of the run that wrote it: the scheduled
    # run refreshes it every 15 minutes whatever changed, so it carries no internal fact, and two snapshots taken
    # a minute apart differ in it (CI failed on a minute boundary). Masked like the ISO times above.
    (re.compile(r"\b\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}\b"), "<display datetime>"),
]
HEADERS = ("Content-Type", "Location", "ETag", "Content-Disposition")


def mask(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def _body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        try:
            return json.dumps(json.loads(content), indent=1, sort_keys=True, ensure_ascii=False)
        except ValueError:
            pass
    if not content_type.startswith(("text/", "application/json", "application/problem+json")):
        return f"<{len(content)} bytes of {content_type}>\n" + content.hex(" ", 32)
    text = content.decode()
    if "html" in content_type:  # one tag per line, so a diff points at the element that changed
        text = re.sub(r">\s*<", ">\n<", text)
        text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return text


def render(response) -> str:
    head = [str(response.status_code)] + [f"{h}: {response[h]}" for h in HEADERS if response.has_header(h)]
    return mask("\n".join(head) + "\n\n" + _body_text(response))


def _list_filters(url: str) -> list[str]:
    """The ``project``/``client`` filters an API list declares (its filterset), as query strings."""
    view = getattr(resolve(url).func, "cls", None)
    filterset = getattr(view, "filterset_class", None)
    declared = set(getattr(filterset, "base_filters", {}) or getattr(view, "filterset_fields", None) or ())
    return [f"?{name}={{{name}}}" for name in ("project", "client") if name in declared]


def _requests(s: Shared):
    """(label, route, url) for every read a client user can make."""
    fill = {"project": s.project.pk, "client": s.client.pk}
    reads = [(name, name, route) for name, route in ROUTES.items()]
    reads += [(label, name, route) for label, (name, route) in EXTRA_POSTS.items()]
    for label, name, route in sorted(reads):
        base = reverse(name, kwargs=route.kwargs(s) if route.kwargs else None)
        queries = list(route.queries)
        if route.kind == "api" and name.endswith("-list"):
            queries += [q for q in _list_filters(base) if q not in queries]
        for query in queries:
            yield (label + query.format(**fill), route, base + query.format(**fill))


def _fetch(route: Read, url: str, s: Shared, page: PageClient, api):
    if route.kind == "page":
        return page.get(url)
    body = route.body(s) if route.body else None
    if route.method == "post":
        return api.post(url, body, format="json")
    return api.get(url)


def _emails_to(users: list[User], since: int = 0) -> list:
    addresses = {u.email for u in users}
    return [m for m in mail.outbox[since:] if addresses & set(m.to)]


def _email_text(messages) -> str:
    return mask("\n\n".join(f"To: {', '.join(m.to)}\nSubject: {m.subject}\n\n{m.body}" for m in messages))


def snapshot(s: Shared, user: User) -> dict[str, str]:
    """Everything ``user`` can reach, as masked text per read."""
    page = PageClient()
    page.force_login(user)
    api = api_as(user)
    view = {label: render(_fetch(route, url, s, page, api)) for label, route, url in _requests(s)}
    client_users = [s.world.viewer_a, s.world.approver_a]
    notification_service.send_emails()  # what the notification e-mails would carry (the worker's job)
    view["e-mail: notifications to the client's users"] = _email_text(
        [m for m in _emails_to(client_users) if "Weekly digest" not in m.subject]
    )
    # What this week's digest carries (composed, not sent: the digest goes out once per week).
    addresses = {u.email for u in client_users}
    digest = [m for m in weekly_digest_messages(now=s.now) if addresses & set(m.to)]
    view["e-mail: weekly digest to the client's users"] = _email_text(digest)
    return view


def differences(before: dict[str, str], after: dict[str, str], *, lines: int = 14, shown: int = 12) -> str:
    """A readable report of every read that differs, each with the start of its unified diff ("" if none)."""
    changed = [label for label in sorted(before.keys() | after.keys()) if before.get(label) != after.get(label)]
    if not changed:
        return ""
    report = [f"{len(changed)} of {len(before)} reads differ: {', '.join(changed)}"]
    for label in changed[:shown]:
        diff = list(
            difflib.unified_diff(
                (before.get(label) or "").splitlines(),
                (after.get(label) or "").splitlines(),
                "before",
                "after",
                n=1,
                lineterm="",
            )
        )
        more = f"\n  … {len(diff) - lines} more diff lines" if len(diff) > lines else ""
        report.append(f"\n== {label}\n" + "\n".join(d[:220] for d in diff[:lines]) + more)
    if len(changed) > shown:
        report.append(f"\n… and {len(changed) - shown} more reads differ.")
    return "\n".join(report)


# --- The test ------------------------------------------------------------------------------------


@pytest.fixture
def shared(world) -> Shared:
    s = _build_shared(world)
    _recompute(s)
    return s


def test_snapshots_are_stable_without_changes(shared):
    """The masking is complete: two snapshots in a row are equal (else a difference below proves nothing)."""
    first = snapshot(shared, shared.world.approver_a)
    again = snapshot(shared, shared.world.approver_a)
    unstable = differences(first, again)
    if unstable:
        pytest.fail("Two snapshots in a row differ; mask what varies by itself in MASKS.\n" + unstable, pytrace=False)
    assert sum(1 for text in first.values() if text.startswith("200")) >= 40, "the client reaches too little"
    assert shared.change.title in first["change-request-detail"]
    assert "Risk" in first["project-scores" + WHAT_IF_QUERY]
    assert shared.project.code in first["e-mail: weekly digest to the client's users"]


def test_internal_records_leave_the_clients_view_unchanged(shared):
    client_user = shared.world.approver_a
    staff_reads = {
        "api:project-scores": reverse("api:project-scores", kwargs=_project(shared)),
        "project-risks": reverse("project-risks", kwargs=_project(shared)),
    }
    staff_api, staff_page = api_as(shared.world.pm), PageClient()
    staff_page.force_login(shared.world.pm)

    def staff_view() -> dict[str, str]:
        return {
            "api:project-scores": render(staff_api.get(staff_reads["api:project-scores"])),
            "project-risks": render(staff_page.get(staff_reads["project-risks"])),
        }

    before = snapshot(shared, client_user)
    staff_before = staff_view()

    _add_internal_records(shared)
    _recompute(shared)

    after = snapshot(shared, client_user)
    staff_after = staff_view()
    for label in staff_reads:
        assert staff_before[label] != staff_after[label], f"the staff's {label} did not change: the test proves nothing"
    assert "Internal: key operator leaving" in staff_after["project-risks"]
    leaks = differences(before, after)
    if leaks:
        pytest.fail("A client user's view changed when only internal records were added.\n" + leaks, pytrace=False)
