"""Score pages: the score panel of the project pages, a project's scores page (priorities, what-if), the policy."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clients import access
from core.pages import add_form_errors
from metrics.scores import selectors, services
from metrics.scores.charts import score_trend_svg
from metrics.scores.forms import ScoringPolicyForm, TradeoffForm, WhatIfForm
from metrics.scores.models import ScoringPolicy, TradeoffProposal, lens_for
from metrics.scoring import HypotheticalChange
from projects import selectors as project_selectors
from projects.models import Project


def _project_or_404(user, pk: int) -> Project:
    try:
        return project_selectors.project_get(user=user, pk=pk)
    except Project.DoesNotExist as missing:
        raise Http404 from missing


def score_panel(user, project: Project) -> dict:
    """Latest snapshot (as the user may see it) and the trend chart, for the project pages."""
    history = list(selectors.snapshot_history(user=user, project=project, limit=96))
    latest = history[0] if history else None
    policy = selectors.current_policy()
    return {
        "snapshot": latest,
        "result": selectors.visible_result(user, latest.result) if latest else None,
        "trend": score_trend_svg(
            list(reversed(history)),
            amber=float(policy.value("amber_threshold")),
            red=float(policy.value("red_threshold")),
        ),
        "stale": project.scores_stale,
    }


@login_required
def project_scores(request, pk: int):
    """Scores with their reasons, the trend, the client's priorities and a what-if calculator."""
    project = _project_or_404(request.user, pk)
    user = request.user
    can_set = access.can_set_tradeoff(user, project)
    can_propose = access.can_propose_tradeoff(user, project)
    form = TradeoffForm(request.POST or None, initial={"reason": ""} | project.tradeoff_matrix)
    if request.method == "POST":
        if not (can_set or can_propose):
            raise Http404
        if form.is_valid():
            try:
                if form.matrix() == project.tradeoff_matrix:
                    messages.info(request, _("No change: the priorities stay as they are."))
                elif can_set:
                    services.tradeoff_set(
                        actor=user, project=project, matrix=form.matrix(), reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Priorities saved; the scores are being recomputed."))
                else:
                    services.tradeoff_propose(
                        actor=user, project=project, matrix=form.matrix(), reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Proposal sent to the client's approvers."))
                return redirect("project-scores", pk=pk)
            except ValidationError as error:
                add_form_errors(form, error)
    what_if = None
    what_if_form = WhatIfForm(request.GET if "schedule_impact_days" in request.GET else None)
    if what_if_form.is_bound and what_if_form.is_valid():
        before, after = selectors.what_if(
            project=project, change=HypotheticalChange(**what_if_form.cleaned_data), lens=lens_for(user)
        )
        what_if = selectors.what_if_view(user, before, after)
    proposal = TradeoffProposal.objects.for_user(user).filter(project=project, status="pending").first()
    return render(
        request,
        "metrics/project_scores.html",
        {
            "project": project,
            **score_panel(user, project),
            "tradeoff_form": form,
            "can_set_tradeoff": can_set,
            "can_propose_tradeoff": can_propose and not can_set,
            "proposal": proposal,
            "what_if_form": what_if_form,
            "what_if": what_if,
            "is_staff": access.is_staff_user(user),
        },
    )


@login_required
def tradeoff_proposal_decide(request, pk: int):
    if request.method != "POST":
        raise Http404
    proposal = TradeoffProposal.objects.for_user(request.user).select_related("project").filter(pk=pk).first()
    if proposal is None or not access.can_sign_for_client(request.user, proposal.project):
        raise Http404
    try:
        services.tradeoff_decide(actor=request.user, proposal=proposal, accept=request.POST.get("accept") == "1")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("project-scores", pk=proposal.project_id)


@login_required
def scoring_policy(request):
    """Leadership reviews and versions the scoring policy (a change is a new version)."""
    if not access.can_lead(request.user):
        raise Http404
    current = selectors.current_policy()
    form = ScoringPolicyForm(request.POST or None, policy=current)
    if request.method == "POST" and form.is_valid() and form.parameters_equal(current):
        messages.info(
            request, _("No change: scoring policy v%(version)s stays in force.") % {"version": current.version}
        )
        return redirect("scoring-policy")
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.scoring_policy_create_version(
                actor=request.user, parameters=form.parameters(), note=form.cleaned_data["note"]
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, getattr(error, "messages", [str(error)]))
        else:
            messages.success(
                request,
                _("Scoring policy v%(version)s is now in force; scores are recomputing.") % {"version": policy.version},
            )
            return redirect("scoring-policy")
    versions = ScoringPolicy.objects.select_related("created_by")[:20]
    return render(request, "metrics/scoring_policy.html", {"form": form, "current": current, "versions": versions})
