"""The project's own pages: the list, create, the project page (with the inline milestone edit), start,
the baselines page (history and the re-baseline form) and the audit trail.

The milestone edit and the baselines page render the whole project page, so they live here with it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import access
from clients.models import SecurityEventKind
from clients.security import security_event_record
from core.concurrency import StaleVersion
from core.pages import add_form_errors, get_or_404
from core.paging import page_of
from projects import audit, extensions, selectors, services
from projects.baselines import selectors as baseline_selectors
from projects.baselines import services as baseline_services
from projects.baselines.forms import RebaselineForm
from projects.forms import AuditTrailFilterForm
from projects.milestones import selectors as milestone_selectors
from projects.milestones import services as milestone_services
from projects.milestones.forms import MilestoneEditForm
from projects.milestones.timeline import render_timeline
from projects.records import Project, project_get
from projects.signatures.selectors import signatures_of_records
from projects.signatures.services import signature_verdict


@login_required
def project_list(request):
    """The portfolio (staff) with next milestones and overdue ones first; ``?mine=1`` for a PM's own."""
    from projects.listing import project_listing

    mine = request.GET.get("mine") == "1"
    listing = project_listing(user=request.user, params=request.GET, mine=mine)
    return render(
        request,
        "projects/project_list.html",
        {
            "listing": listing,
            "projects": listing.projects,
            "mine": mine,
            "is_pm": access.is_project_manager(request.user),
            "can_create": access.can_create_project(request.user),
        },
    )


def _project_context(request, pk: int, **extra):
    page = get_or_404(selectors.project_page, user=request.user, pk=pk)
    today = timezone.localdate()
    forms = {}
    if page.can_edit:
        forms = {row.milestone.pk: MilestoneEditForm.for_milestone(row.milestone) for row in page.rows}
    for row in page.rows:
        row.form = forms.get(row.milestone.pk)
    return {
        "page": page,
        "project": page.project,
        "timeline": render_timeline(page.rows, today=today),
        "today": today,
        "rebaseline_form": RebaselineForm(),
        **extensions.merged(extensions.PROJECT_HEADER, request.user, page.project),
        **extra,
    }


@login_required
def project_create(request):
    """A PM (or admin) opens a project from a template."""
    from projects.forms import ProjectCreateForm

    if not access.can_create_project(request.user):
        raise Http404
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, **form.project_fields())
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(
                request,
                _("%(code)s created with its milestones. Start it to record the baseline.") % {"code": project.code},
            )
            return redirect("project-detail", pk=project.pk)
    return render(request, "projects/project_create.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def project_detail(request, pk: int):
    context = _project_context(request, pk)
    overview = extensions.merged(extensions.PROJECT_OVERVIEW, request.user, context["project"])
    return render(request, "projects/project_detail.html", {**context, **overview})


@login_required
def milestone_edit(request, pk: int):
    """Inline edit of one milestone (htmx swaps the row and the timeline; plain POST redirects back)."""
    milestone = get_or_404(milestone_selectors.milestone_get, user=request.user, pk=pk)
    if not access.can_edit_project(request.user, milestone.project):
        raise Http404
    if request.method != "POST":
        return redirect("project-detail", pk=milestone.project_id)
    form = MilestoneEditForm.for_milestone(milestone, data=request.POST)
    conflict = None
    if form.is_valid():
        try:
            milestone_services.milestone_update(
                actor=request.user,
                milestone=milestone,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                override_reason=form.cleaned_data["override_reason"],
                **form.changes(),
            )
        except StaleVersion as stale:
            conflict = stale.current
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, _("Saved “%(name)s”.") % {"name": milestone.name})
                return redirect("project-detail", pk=milestone.project_id)
            context = _project_context(request, milestone.project_id, saved_pk=milestone.pk)
            return render(request, "projects/_milestone_update.html", context)
    context = _project_context(request, milestone.project_id)
    for row in context["page"].rows:
        if row.milestone.pk == milestone.pk:
            if conflict is None:
                row.form = form
            row.conflict = conflict
            row.open = True
    if request.htmx:
        return render(request, "projects/_milestone_update.html", context)
    return render(request, "projects/project_detail.html", context, status=409 if conflict else 400)


@login_required
@require_POST
def project_start(request, pk: int):
    project = get_or_404(project_get, user=request.user, pk=pk)
    if not access.can_edit_project(request.user, project):
        raise Http404
    try:
        services.project_start(actor=request.user, project=project)
        messages.success(request, _("Project started: the initial baseline is recorded."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("project-detail", pk=pk)


@login_required
def project_baselines(request, pk: int):
    """Baseline history, comparison of each baseline with today's plan, and the re-baseline form."""
    context = _project_context(request, pk)
    page = context["page"]
    visible = [row.milestone for row in page.rows]  # the milestones this user may see, read once for the page
    comparisons = [
        (b, baseline_selectors.baseline_comparison(user=request.user, baseline=b, milestones=visible))
        for b in page.baselines
    ]
    signed = signatures_of_records(user=request.user, records=page.baselines)
    for baseline in page.baselines:
        baseline.signed = [(s, signature_verdict(s, baseline)) for s in signed.get(baseline.pk, [])]
    form = RebaselineForm(request.POST or None)
    if request.method == "POST":
        if not page.can_edit:
            raise Http404
        if form.is_valid():
            try:
                baseline_services.baseline_propose(
                    actor=request.user, project=page.project, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(request, _("Re-baseline proposed: the client's approver is asked to sign it."))
                return redirect("project-baselines", pk=pk)
    return render(request, "projects/baselines.html", {**context, "comparisons": comparisons, "rebaseline_form": form})


def _staff_project(request, pk: int) -> Project:
    project = get_or_404(project_get, user=request.user, pk=pk)
    if not access.is_staff_user(request.user):
        raise Http404
    return project


@login_required
def project_audit(request, pk: int):
    """The project's audit trail, newest first, a page at a time, read in the database (a fixed number of queries)."""
    project = _staff_project(request, pk)
    models = audit.tracked_event_models()
    filter_form = AuditTrailFilterForm(request.GET, record_types=models)
    record_type = filter_form.filters.get("record_type")
    events = audit.audit_events(event_models=[models[record_type]] if record_type else (), project=project)
    page = page_of(events, request.GET)
    extra = extensions.merged(extensions.AUDIT_PAGE, request.user, project)
    context = {
        "project": project,
        "entries": audit.audit_entries(page.object_list),
        "page": page,
        "filter_form": filter_form,
        **extra,
    }
    return render(request, "projects/audit.html", context)


@login_required
def project_audit_csv(request, pk: int):
    project = _staff_project(request, pk)
    entries = audit.project_audit_trail(project=project)
    security_event_record(
        kind=SecurityEventKind.EXPORT,
        request=request,
        user=request.user,
        export="project audit trail (CSV)",
        project=project.code,
        rows=len(entries),
    )
    response = HttpResponse(audit.audit_trail_csv(entries), content_type="text/csv")
    response["Content-Disposition"] = content_disposition_header(True, f"audit-{project.code}.csv")
    return response
