"""Issue pages: the project's issues with the raise form, and one issue's thread and resolution."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, Q, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from core.pages import add_form_errors, get_or_404
from core.paging import page_of
from projects.issues import services
from projects.issues.forms import IssueCommentForm, IssueFilterForm, IssueRaiseForm, IssueResolveForm
from projects.issues.models import Issue, IssueComment, IssueStatus
from projects.notifications.views import read_notifications_of_this_page
from projects.pages import GET_POST, posted, project_or_404, render_page
from projects.records import Project


def duration_text(delta: dt.timedelta | None) -> str:
    """A short human duration: "45 min", "5 h 10 min", "3 d 4 h"."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        if hours:
            return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
        return _("%(days)s d") % {"days": days}
    if hours:
        if minutes:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": minutes}


def _can_raise_issue(user, project: Project) -> bool:
    return access.is_client_user(user) or access.can_edit_project(user, project)


def _can_comment(user) -> bool:
    """Clients comment on issues they can see (shared ones); for the CMO, PMs and administrators."""
    return access.can_comment(user)


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
    project = project_or_404(request, pk)
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
                messages.success(request, _("Issue raised."))
                return redirect("issue-detail", pk=issue.pk)
    now = timezone.now()
    issues_qs = Issue.objects.for_user(user).filter(project=project)
    summary = issues_qs.filter(status=IssueStatus.OPEN).aggregate(
        open_count=Count("pk"),
        waiting_on_cmo=Count("pk", filter=Q(waiting_on="cmo")),
        waiting_on_client=Count("pk", filter=Q(waiting_on="client")),
    )
    filter_form = IssueFilterForm(request.GET, for_client=for_client)
    filters = filter_form.filters
    listed = issues_qs.select_related("raised_by", "assigned_to").annotate(
        comment_count=Count("comments"),
        resolved_last=Case(When(status=IssueStatus.OPEN, then=0), default=1, output_field=IntegerField()),
    )
    for name in ("status", "visibility"):
        if filters.get(name):
            listed = listed.filter(**{name: filters[name]})
    if filters.get("waiting_on"):
        listed = listed.filter(status=IssueStatus.OPEN, waiting_on=filters["waiting_on"])
    page = page_of(listed.order_by("resolved_last", "-opened_at", "-pk"), request.GET)
    context = {
        "project": project,
        "issues": [_with_durations(issue, now) for issue in page.object_list],
        "page": page,
        "filter_form": filter_form,
        **summary,
        "can_raise": can_raise,
        "form": form,
    }
    return render_page(request, "projects/constraints/issues.html", context)


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
    if posted(request, "comment"):
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
                    messages.success(request, _("Comment added."))
                    return redirect("issue-detail", pk=issue.pk)
                comment_form = IssueCommentForm()
                issue = _issue_get(user=user, pk=pk)
    elif posted(request, "resolve"):
        if not can_resolve:
            raise Http404
        resolve_form = IssueResolveForm(request.POST)
        if resolve_form.is_valid():
            try:
                services.issue_resolve(actor=user, issue=issue, resolution=resolve_form.cleaned_data["resolution"])
            except ValidationError as error:
                add_form_errors(resolve_form, error)
            else:
                messages.success(request, _("Issue resolved."))
                return redirect("issue-detail", pk=issue.pk)
    elif request.method == "POST":
        return redirect("issue-detail", pk=issue.pk)
    read_notifications_of_this_page(request)
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
    if request.htmx and posted(request, "comment"):
        return render(request, "projects/constraints/_issue_thread.html", context)
    return render_page(request, "projects/constraints/issue_detail.html", context)
