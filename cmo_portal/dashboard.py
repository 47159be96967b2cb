"""Landing pages that compose every app: where each role starts, and a client user's dashboard."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from clients import access
from metrics.lean import selectors as lean_selectors
from metrics.surveys import services as survey_services
from projects.baselines import selectors as baseline_selectors
from projects.listing import project_listing
from projects.models import ChangeRequest, ChangeRequestStatus


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
    listing = project_listing(user=request.user, params=request.GET)
    invitations = [(i, survey_services.invitation_url(i)) for i in survey_services.open_invitations(user=request.user)]
    kpi_targets = list(lean_selectors.kpi_targets(user=request.user))
    for target in kpi_targets:
        target.comparison = lean_selectors.kpi_comparison(target.metric)
    awaiting = list(
        ChangeRequest.objects.for_user(request.user)
        .filter(status=ChangeRequestStatus.SUBMITTED)
        .select_related("project")
        .order_by("submitted_at")
    )
    awaiting_signature = baseline_selectors.baselines_awaiting_signature(user=request.user)
    return render(
        request,
        "clients/dashboard.html",
        {
            "listing": listing,
            "client": request.user.client,
            "awaiting_decision": awaiting,
            "awaiting_signature": awaiting_signature,
            "can_sign": access.is_client_approver(request.user),
            "invitations": invitations,
            "kpi_targets": kpi_targets,
            "kpi_breaches": [t for t in kpi_targets if t.status == "breached"],
        },
    )
