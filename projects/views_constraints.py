"""Pages for the four constraints as records: costs, change requests, quality, risks, issues; notifications.

Every object comes from ``Model.objects.for_user(request.user)``: another client's object answers 404
and client users never see internal records. Writes go through ``projects.services``. Each page is a
plain GET plus form POSTs (one ``action`` per form), redirecting after a successful write.
"""

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, F, IntegerField, Sum, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from clients import access
from clients.models import Role
from core.pages import add_form_errors, get_or_404
from projects import extensions, selectors, services
from projects import notifications as notification_service
from projects.forms import (
    BatchForm,
    ChangeRequestForm,
    CostEntryForm,
    CostImportForm,
    InvoiceForm,
    IssueCommentForm,
    IssueRaiseForm,
    IssueResolveForm,
    QualityEventCloseForm,
    QualityEventForm,
    RiskForm,
    SignForm,
)
from projects.heatmap import exposure_band, render_heatmap
from projects.models import (
    Batch,
    BatchOutcome,
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
    QualityEventKind,
    Risk,
    RiskStatus,
)

COST_ENTRIES_SHOWN = 200
NOTIFICATIONS_SHOWN = 100
GET_POST = require_http_methods(["GET", "POST"])


def _project(request, pk: int) -> Project:
    return get_or_404(selectors.project_get, user=request.user, pk=pk)


def _posted(request, action: str) -> bool:
    return request.method == "POST" and request.POST.get("action") == action


def _render(request, template: str, context: dict):
    """A POST that reaches the render failed validation: answer 400 with the form and its errors."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _posted_id(request, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError as error:
        raise Http404 from error


def _read_notifications_of_this_page(request) -> None:
    """Opening the page a notification points at reads it (the bell counts what is still new)."""
    if request.method == "GET":
        unread = Notification.objects.for_user(request.user).filter(url=request.path_info, read_at__isnull=True)
        ids = list(unread.values_list("pk", flat=True))
        if ids:
            notification_service.mark_read(user=request.user, ids=ids)


def duration_text(delta: dt.timedelta | None) -> str:
    """A short human duration: "45 min", "5 h 10 min", "3 d 4 h"."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


# --- Costs (CMO staff only) ----------------------------------------------------------


@login_required
@GET_POST
def project_costs(request, pk: int):
    """Budget, actual cost, invoiced and margin; cost entries, invoices, entry form and CSV import (staff only)."""
    project = _project(request, pk)
    if not access.can_see_internal(request.user):
        raise Http404
    can_edit = access.can_edit_project(request.user, project)
    if request.method == "POST" and not can_edit:
        raise Http404
    entry_form = CostEntryForm(prefix="cost")
    import_form = CostImportForm(prefix="import")
    invoice_form = InvoiceForm(prefix="invoice")
    if _posted(request, "cost"):
        entry_form = CostEntryForm(request.POST, prefix="cost")
        if entry_form.is_valid():
            try:
                services.cost_entry_create(actor=request.user, project=project, **entry_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(entry_form, error)
            else:
                messages.success(request, "Cost entry recorded.")
                return redirect("project-costs", pk=pk)
    elif _posted(request, "import"):
        import_form = CostImportForm(request.POST, request.FILES, prefix="import")
        if import_form.is_valid():
            try:
                created = services.cost_entries_import_csv(
                    actor=request.user, project=project, text=import_form.cleaned_data["csv"]
                )
            except ValidationError as error:
                add_form_errors(import_form, error)
            else:
                messages.success(request, f"Imported {len(created)} cost entr{'y' if len(created) == 1 else 'ies'}.")
                return redirect("project-costs", pk=pk)
    elif _posted(request, "invoice"):
        invoice_form = InvoiceForm(request.POST, prefix="invoice")
        if invoice_form.is_valid():
            try:
                services.invoice_create(actor=request.user, project=project, **invoice_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(invoice_form, error)
            else:
                messages.success(request, f"Invoice {invoice_form.cleaned_data['number']} recorded.")
                return redirect("project-costs", pk=pk)
    elif request.method == "POST":
        return redirect("project-costs", pk=pk)

    entries = CostEntry.objects.for_user(request.user).filter(project=project)
    cost_totals = entries.aggregate(actual=Sum("amount"), count=Count("pk"))
    invoices = list(Invoice.objects.for_user(request.user).filter(project=project).order_by("-date", "-pk"))
    actual = cost_totals["actual"] or Decimal(0)
    invoiced = sum((i.amount for i in invoices), Decimal(0))
    margin = project.contract_value - actual
    context = {
        "project": project,
        "can_edit": can_edit,
        "actual_cost": actual,
        "invoiced": invoiced,
        "margin": margin,
        "margin_percent": (margin / project.contract_value * 100) if project.contract_value else None,
        "budget_used_percent": (actual / project.budget * 100) if project.budget else None,
        "entries": list(entries.select_related("created_by").order_by("-date", "-pk")[:COST_ENTRIES_SHOWN]),
        "entry_count": cost_totals["count"],
        "invoices": invoices,
        "entry_form": entry_form,
        "import_form": import_form,
        "invoice_form": invoice_form,
    }
    return _render(request, "projects/constraints/costs.html", context)


# --- Change requests -------------------------------------------------------------------


@login_required
@GET_POST
def project_change_requests(request, pk: int):
    """The project's change requests (clients: submitted and decided ones only) and the PM's draft form."""
    project = _project(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    open_milestones = project.milestones.filter(actual_date__isnull=True).order_by("sequence")
    form = ChangeRequestForm(open_milestones=open_milestones)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        form = ChangeRequestForm(request.POST, open_milestones=open_milestones)
        if form.is_valid():
            try:
                change = services.change_request_create(actor=request.user, project=project, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(request, f"Draft CR-{change.number} saved. Submit it when it is ready for the client.")
                return redirect("change-request-detail", pk=change.pk)
    changes = list(
        ChangeRequest.objects.for_user(request.user)
        .filter(project=project)
        .select_related("created_by", "decided_by")
        .order_by("-number")
    )
    approved = [c for c in changes if c.status == ChangeRequestStatus.APPROVED]
    invoices = list(Invoice.objects.for_user(request.user).filter(project=project).order_by("-date", "-pk"))
    context = {
        "project": project,
        "can_edit": can_edit,
        "can_sign": access.can_sign_for_client(request.user, project),
        "changes": changes,
        "pending": [c for c in changes if c.status == ChangeRequestStatus.SUBMITTED],
        "approved_days": sum(c.schedule_impact_days for c in approved),
        "approved_cost": sum((c.cost_impact for c in approved), Decimal(0)),
        "invoices": invoices,
        "invoiced": sum((i.amount for i in invoices), Decimal(0)),
        "form": form,
    }
    return _render(request, "projects/constraints/change_requests.html", context)


def _change_get(*, user, pk: int) -> ChangeRequest:
    return (
        ChangeRequest.objects.for_user(user)
        .select_related("project", "project__client", "project__manager", "created_by", "decided_by")
        .get(pk=pk)
    )


@login_required
@GET_POST
def change_request_detail(request, pk: int):
    """One change request: its impacts and signatures; the PM submits or withdraws, the client's approver signs."""
    change = get_or_404(_change_get, user=request.user, pk=pk)
    project = change.project
    can_edit = access.can_edit_project(request.user, project)
    can_sign = access.can_sign_for_client(request.user, project) and change.status == ChangeRequestStatus.SUBMITTED
    form = SignForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("submit", "withdraw"):
            if not can_edit:
                raise Http404
            try:
                if action == "submit":
                    services.change_request_submit(actor=request.user, change=change)
                    messages.success(request, f"CR-{change.number} sent to {project.client.name} for decision.")
                else:
                    services.change_request_withdraw(actor=request.user, change=change)
                    messages.success(request, f"CR-{change.number} withdrawn.")
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return redirect("change-request-detail", pk=change.pk)
        if action != "sign" or not access.can_sign_for_client(request.user, project):
            raise Http404
        form = SignForm(request.POST)
        if form.is_valid():
            try:
                services.change_request_decide(
                    actor=request.user,
                    change=change,
                    password=form.cleaned_data["password"],
                    approve=form.cleaned_data["decision"] == "approve",
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                add_form_errors(form, error)
            except PermissionDenied as denied:
                raise Http404 from denied
            else:
                verb = "approved" if form.cleaned_data["decision"] == "approve" else "rejected"
                messages.success(request, f"Signed: CR-{change.number} {verb}. The decision is in the audit trail.")
                return redirect("change-request-detail", pk=change.pk)
    _read_notifications_of_this_page(request)
    pending = change.status in (ChangeRequestStatus.DRAFT, ChangeRequestStatus.SUBMITTED)
    affected = []
    if pending:
        visible = Milestone.objects.for_user(request.user).filter(project=project).order_by("sequence")
        affected = services.change_request_moves(change, visible)
    signatures = selectors.signatures_for(user=request.user, record=change)
    for signature in signatures:
        signature.is_current = services.signature_is_current(signature, change)
    context = {
        "change": change,
        "project": project,
        "can_edit": can_edit,
        "can_sign": can_sign,
        "pending": pending,
        "affected": affected,
        "moves_chosen": change.moved_milestone_ids() is not None,
        "budget_after": project.budget + change.cost_impact,
        "signatures": signatures,
        "form": form,
        "what_if": None,
        **(extensions.merged(extensions.CHANGE_REQUEST_PAGE, request.user, change) if pending else {}),
    }
    return _render(request, "projects/constraints/change_request_detail.html", context)


# --- Quality ---------------------------------------------------------------------------


@login_required
@GET_POST
def project_quality(request, pk: int):
    """Batches (outcome, right first time) and quality events with overdue CAPAs flagged; the PM's forms."""
    project = _project(request, pk)
    user = request.user
    can_edit = access.can_edit_project(user, project)
    if request.method == "POST" and not can_edit:
        raise Http404
    today = timezone.localdate()
    batches_qs = Batch.objects.for_user(user).filter(project=project).order_by("planned_date", "number")
    events_qs = QualityEvent.objects.for_user(user).filter(project=project)
    batch_form = BatchForm(prefix="batch")
    event_form = QualityEventForm(prefix="event", batches=batches_qs)
    close_form = None
    if _posted(request, "batch"):
        batch_form = BatchForm(request.POST, prefix="batch")
        if batch_form.is_valid():
            try:
                services.batch_create(actor=user, project=project, **batch_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(batch_form, error)
            else:
                messages.success(request, f"Batch {batch_form.cleaned_data['number']} recorded.")
                return redirect("project-quality", pk=pk)
    elif _posted(request, "event"):
        event_form = QualityEventForm(request.POST, prefix="event", batches=batches_qs)
        if event_form.is_valid():
            try:
                event = services.quality_event_create(actor=user, project=project, **event_form.cleaned_data)
            except ValidationError as error:
                add_form_errors(event_form, error)
            else:
                messages.success(request, f"{event.reference} recorded.")
                return redirect("project-quality", pk=pk)
    elif _posted(request, "close"):
        close_form = QualityEventCloseForm(request.POST)
        if close_form.is_valid():
            event = get_or_404(lambda: events_qs.get(pk=close_form.cleaned_data["event"]))
            try:
                services.quality_event_close(actor=user, event=event, closed=close_form.cleaned_data["closed"])
            except ValidationError as error:
                add_form_errors(close_form, error)
            else:
                messages.success(request, f"{event.reference} closed.")
                return redirect("project-quality", pk=pk)
    elif request.method == "POST":
        return redirect("project-quality", pk=pk)

    _read_notifications_of_this_page(request)
    batches = list(batches_qs)
    events = list(events_qs.select_related("batch").order_by(F("closed").desc(nulls_first=True), "-opened", "-pk"))
    for event in events:
        event.overdue = event.is_overdue(today)
    decided = [b for b in batches if b.outcome != BatchOutcome.PENDING]
    right_first_time = [b for b in decided if b.right_first_time]
    context = {
        "project": project,
        "can_edit": can_edit,
        "today": today,
        "batches": batches,
        "events": events,
        "released_count": sum(1 for b in batches if b.outcome == BatchOutcome.RELEASED),
        "decided_count": len(decided),
        "rft_percent": (len(right_first_time) * 100 / len(decided)) if decided else None,
        "open_count": sum(1 for e in events if e.closed is None),
        "overdue_count": sum(1 for e in events if e.overdue),
        "overdue_capa_count": sum(1 for e in events if e.overdue and e.kind == QualityEventKind.CAPA),
        "batch_form": batch_form,
        "event_form": event_form,
        "close_form": close_form,
    }
    return _render(request, "projects/constraints/quality.html", context)


# --- Risks -----------------------------------------------------------------------------


@login_required
@GET_POST
def project_risks(request, pk: int):
    """The 5 × 5 heat map of open risks and the register sorted by exposure; the PM's risk form."""
    project = _project(request, pk)
    user = request.user
    can_edit = access.can_edit_project(user, project)
    if request.method == "POST" and not can_edit:
        raise Http404
    risks_qs = Risk.objects.for_user(user).filter(project=project)
    form = RiskForm()
    if _posted(request, "risk"):
        form = RiskForm(request.POST)
        if form.is_valid():
            try:
                services.risk_create(actor=user, project=project, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(request, "Risk recorded.")
                return redirect("project-risks", pk=pk)
    elif _posted(request, "close"):
        risk = get_or_404(lambda: risks_qs.get(pk=_posted_id(request, "risk"), status=RiskStatus.OPEN))
        services.risk_update(actor=user, risk=risk, status=RiskStatus.CLOSED, reason="Risk closed")
        messages.success(request, f"Risk “{risk.title}” closed.")
        return redirect("project-risks", pk=pk)
    elif request.method == "POST":
        return redirect("project-risks", pk=pk)

    risks = list(
        risks_qs.select_related("owner")
        .annotate(
            score=F("probability") * F("impact"),
            closed_last=Case(When(status=RiskStatus.OPEN, then=0), default=1, output_field=IntegerField()),
        )
        .order_by("closed_last", "-score", "-impact", "title", "pk")
    )
    open_risks = [r for r in risks if r.status == RiskStatus.OPEN]
    for risk in risks:
        risk.band = exposure_band(risk.exposure)
    context = {
        "project": project,
        "can_edit": can_edit,
        "risks": risks,
        "open_count": len(open_risks),
        "total_exposure": sum(r.exposure for r in open_risks),
        "high_count": sum(1 for r in open_risks if r.band == "high"),
        "heatmap": render_heatmap((r.probability, r.impact) for r in open_risks),
        "form": form,
    }
    return _render(request, "projects/constraints/risks.html", context)


# --- Issues ----------------------------------------------------------------------------


def _can_raise_issue(user, project: Project) -> bool:
    return access.is_client_user(user) or access.can_edit_project(user, project)


def _can_comment(user) -> bool:
    """Clients comment on issues they can see (shared ones); for the CMO, PMs and administrators."""
    return access.is_client_user(user) or (access.is_staff_user(user) and user.role != Role.LEADERSHIP)


def _with_durations(issue: Issue, now: dt.datetime) -> Issue:
    issue.first_response_text = duration_text(
        issue.first_response_at - issue.opened_at if issue.first_response_at else None
    )
    issue.resolution_text = duration_text(issue.resolved_at - issue.opened_at if issue.resolved_at else None)
    issue.age_text = duration_text(now - issue.opened_at)
    return issue


@login_required
@GET_POST
def project_issues(request, pk: int):
    """Issues worked on with the client (clients: shared ones) and the raise form (clients and the PM)."""
    project = _project(request, pk)
    user = request.user
    can_raise = _can_raise_issue(user, project)
    for_client = access.is_client_user(user)
    form = IssueRaiseForm(for_client=for_client)
    if request.method == "POST":
        if not can_raise:
            raise Http404
        form = IssueRaiseForm(request.POST, for_client=for_client)
        if form.is_valid():
            try:
                issue = services.issue_raise(actor=user, project=project, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            except PermissionDenied as denied:
                raise Http404 from denied
            else:
                messages.success(request, "Issue raised.")
                return redirect("issue-detail", pk=issue.pk)
    now = timezone.now()
    issues = [
        _with_durations(issue, now)
        for issue in Issue.objects.for_user(user)
        .filter(project=project)
        .select_related("raised_by", "assigned_to")
        .annotate(
            comment_count=Count("comments"),
            resolved_last=Case(When(status=IssueStatus.OPEN, then=0), default=1, output_field=IntegerField()),
        )
        .order_by("resolved_last", "-opened_at", "-pk")
    ]
    context = {
        "project": project,
        "issues": issues,
        "open_count": sum(1 for i in issues if i.status == IssueStatus.OPEN),
        "waiting_on_cmo": sum(1 for i in issues if i.status == IssueStatus.OPEN and i.waiting_on == "cmo"),
        "waiting_on_client": sum(1 for i in issues if i.status == IssueStatus.OPEN and i.waiting_on == "client"),
        "can_raise": can_raise,
        "form": form,
    }
    return _render(request, "projects/constraints/issues.html", context)


def _issue_get(*, user, pk: int) -> Issue:
    return (
        Issue.objects.for_user(user)
        .select_related("project", "project__client", "project__manager", "raised_by", "assigned_to")
        .get(pk=pk)
    )


@login_required
@GET_POST
def issue_detail(request, pk: int):
    """One issue: the comment thread (htmx appends), the PM's resolution, time to first response and to resolution."""
    issue = get_or_404(_issue_get, user=request.user, pk=pk)
    user = request.user
    project = issue.project
    can_comment = _can_comment(user)
    can_resolve = access.can_edit_project(user, project) and issue.status == IssueStatus.OPEN
    comment_form = IssueCommentForm()
    resolve_form = IssueResolveForm()
    if _posted(request, "comment"):
        if not can_comment:
            raise Http404
        comment_form = IssueCommentForm(request.POST)
        if comment_form.is_valid():
            try:
                services.issue_comment(actor=user, issue=issue, body=comment_form.cleaned_data["body"])
            except ValidationError as error:
                add_form_errors(comment_form, error)
            except PermissionDenied as denied:
                raise Http404 from denied
            else:
                if not request.htmx:
                    messages.success(request, "Comment added.")
                    return redirect("issue-detail", pk=issue.pk)
                comment_form = IssueCommentForm()
                issue = _issue_get(user=user, pk=pk)
    elif _posted(request, "resolve"):
        if not can_resolve:
            raise Http404
        resolve_form = IssueResolveForm(request.POST)
        if resolve_form.is_valid():
            try:
                services.issue_resolve(actor=user, issue=issue, resolution=resolve_form.cleaned_data["resolution"])
            except ValidationError as error:
                add_form_errors(resolve_form, error)
            else:
                messages.success(request, "Issue resolved.")
                return redirect("issue-detail", pk=issue.pk)
    elif request.method == "POST":
        return redirect("issue-detail", pk=issue.pk)
    _read_notifications_of_this_page(request)
    comments = list(IssueComment.objects.for_user(user).filter(issue=issue).select_related("author"))
    context = {
        "issue": _with_durations(issue, timezone.now()),
        "project": project,
        "comments": comments,
        "can_comment": can_comment,
        "can_resolve": can_resolve,
        "comment_form": comment_form,
        "resolve_form": resolve_form,
    }
    if request.htmx and _posted(request, "comment"):
        return render(request, "projects/constraints/_issue_thread.html", context)
    return _render(request, "projects/constraints/issue_detail.html", context)


# --- Notifications ---------------------------------------------------------------------


@login_required
@GET_POST
def notification_list(request):
    """The user's own notifications, newest first; POST marks them all read."""
    if request.method == "POST":
        count = notification_service.mark_read(user=request.user)
        if count:
            messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
        return redirect("notifications")
    notifications = list(Notification.objects.for_user(request.user)[:NOTIFICATIONS_SHOWN])
    for notification in notifications:
        local = notification.url.startswith("/") and url_has_allowed_host_and_scheme(notification.url, None)
        notification.link = notification.url if local else ""
    return render(
        request,
        "projects/constraints/notifications.html",
        {"notifications": notifications, "unread": sum(1 for n in notifications if n.read_at is None)},
    )
