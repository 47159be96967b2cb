from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from clients import access, services
from clients.models import CalendarFeedToken
from metrics import lean_rollup, surveys
from projects import selectors as project_selectors
from projects.models import ChangeRequest, ChangeRequestStatus, Project


@login_required
def home(request):
    """Land each role where its work is: clients on their dashboard, staff on projects."""
    if access.is_client_user(request.user):
        return redirect("dashboard")
    return redirect("project-list")


@login_required
def dashboard(request):
    """A client user's own projects (CMO staff use the project list instead)."""
    if not access.is_client_user(request.user):
        raise Http404
    projects = project_selectors.project_list(user=request.user)
    invitations = [(i, surveys.invitation_url(i)) for i in surveys.open_invitations(user=request.user)]
    kpi_targets = list(lean_rollup.kpi_targets(user=request.user))
    for target in kpi_targets:
        target.comparison = lean_rollup.kpi_comparison(target.metric)
    awaiting = list(
        ChangeRequest.objects.for_user(request.user)
        .filter(status=ChangeRequestStatus.SUBMITTED)
        .select_related("project")
        .order_by("submitted_at")
    )
    awaiting_signature = project_selectors.baselines_awaiting_signature(user=request.user)
    return render(
        request,
        "clients/dashboard.html",
        {
            "projects": projects,
            "client": request.user.client,
            "awaiting_decision": awaiting,
            "awaiting_signature": awaiting_signature,
            "can_sign": request.user.role == "client_approver",
            "invitations": invitations,
            "kpi_targets": kpi_targets,
            "kpi_breaches": [t for t in kpi_targets if t.status == "breached"],
        },
    )


@never_cache
@login_required
def calendar_subscription(request):
    """The user's secret calendar link: create or reset it (the old link stops working) or turn it off.

    Only a fingerprint of the secret is stored, so the link is shown once, right after it is made.
    """
    new_links = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset":
            _token, secret = services.calendar_feed_token_issue(actor=request.user, user=request.user)
            projects = Project.objects.for_user(request.user).only("pk", "code", "name").order_by("code")

            def link(name: str, **kwargs) -> str:
                return request.build_absolute_uri(reverse(name, kwargs={"token": secret, **kwargs}))

            new_links = {
                "all": link("calendar-feed"),
                "projects": [(p, link("calendar-feed-project", pk=p.pk)) for p in projects],
            }
        elif action == "revoke":
            if services.calendar_feed_token_revoke(actor=request.user, user=request.user):
                messages.success(request, "Your calendar link is turned off. Calendar apps using it stop updating.")
            return redirect("calendar-subscription")
        else:
            messages.error(request, "Choose “Reset link” or “Turn off”.")
            return redirect("calendar-subscription")
    current = CalendarFeedToken.objects.active().filter(user=request.user).first()
    return render(request, "clients/calendar.html", {"current": current, "new_links": new_links})
