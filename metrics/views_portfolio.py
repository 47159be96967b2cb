"""Pages for satisfaction surveys, the Lean portfolio, client KPI targets and PM excellence.

Client users answer surveys and see their own client's satisfaction history; everything else is CMO
staff only and answers 404 to a client user (no existence leak). Reads come from the selectors in
``metrics.satisfaction``, ``metrics.lean_rollup`` and ``metrics.pm_excellence``; writes go through
``metrics.surveys``, ``metrics.lean_rollup.kpi_target_set`` and ``pm_certification_record``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clients import access
from metrics import lean, lean_rollup, pm_excellence, satisfaction, surveys
from metrics.models import SurveyInvitation, SurveyResponse
from metrics.quarters import (
    next_quarter,
    parse_quarter,
    previous_quarter,
    quarter_label,
    quarter_of,
    quarter_param,
)
from metrics.survey_forms import CSAT_QUESTIONS, CertificationForm, KpiTargetForm, SurveyAnswerForm
from projects.models import Project

GET_POST = require_http_methods(["GET", "POST"])
RECENT_RESPONSES = 25
REFUSED_STATUS = {"answered": 409, "expired": 410}


def _period(request) -> tuple[str, object]:
    by = satisfaction.grouping_or_default(request.GET.get("by"))
    quarter = parse_quarter(request.GET.get("quarter")) or quarter_of(timezone.now())
    return by, quarter


def _period_context(by: str, quarter) -> dict:
    return {
        "by": by,
        "groupings": satisfaction.GROUPING_LABELS,
        "group_label": satisfaction.GROUPING_LABELS[by],
        "quarter": quarter,
        "quarter_label": quarter_label(quarter),
        "quarter_param": quarter_param(quarter),
        "previous_param": quarter_param(previous_quarter(quarter)),
        "previous_label": quarter_label(previous_quarter(quarter)),
        "next_param": quarter_param(next_quarter(quarter)),
        "is_current_quarter": quarter >= quarter_of(timezone.now()),
    }


def _refused(request, *, title: str, message: str, status: int):
    return render(request, "metrics/surveys/refused.html", {"title": title, "message": message}, status=status)


# --- Surveys --------------------------------------------------------------------------------------


@login_required
def survey_list(request):
    """Client users: surveys to answer and their satisfaction history. Staff: satisfaction by group."""
    user = request.user
    if access.is_client_user(user):
        invitations = [(i, surveys.invitation_url(i)) for i in surveys.open_invitations(user=user)]
        mine = (
            SurveyResponse.objects.for_user(user)
            .filter(respondent=user)
            .select_related("project", "issue")
            .order_by("-answered_at")[:10]
        )
        return render(
            request,
            "metrics/surveys/client.html",
            {"invitations": invitations, "history": satisfaction.satisfaction_history(user=user), "mine": mine},
        )
    if not access.can_view_portfolio(user):
        raise Http404
    by, quarter = _period(request)
    rows = satisfaction.satisfaction_report(user=user, by=by, quarter=quarter)
    recent = (
        satisfaction.portfolio_projects(SurveyResponse.objects.for_user(user), user)
        .select_related("project", "project__client", "respondent", "issue")
        .order_by("-answered_at", "-pk")[:RECENT_RESPONSES]
    )
    return render(
        request,
        "metrics/surveys/staff.html",
        {"rows": rows, "recent": recent, **_period_context(by, quarter)},
    )


@login_required
@GET_POST
def survey_answer(request, token: str):
    """The survey behind a signed link (from the e-mail or the dashboard); answered once, by the invitee."""
    try:
        invitation_id, recipient_id = surveys.invitation_id_from_token(token)
    except signing.BadSignature:
        return _refused(
            request,
            title="This survey link is not valid",
            message="The link is damaged or was not issued by the portal, so nothing was recorded. "
            "Open the survey from your dashboard instead.",
            status=400,
        )
    invitation = (
        SurveyInvitation.objects.for_user(request.user)
        .filter(pk=invitation_id, recipient=request.user)
        .select_related("project", "round", "round__milestone")
        .first()
    )
    if invitation is None or recipient_id != request.user.pk:
        raise Http404
    try:
        surveys.invitation_check_open(actor=request.user, invitation=invitation)
    except PermissionDenied as denied:
        raise Http404 from denied
    except surveys.SurveyRefused as refused:
        return _refused(
            request,
            title="This survey is closed",
            message=refused.messages[0],
            status=REFUSED_STATUS.get(refused.code, 409),
        )
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            response = surveys.survey_answer(
                actor=request.user,
                invitation=invitation,
                answers=form.answers(),
                comment=form.cleaned_data["comment"],
            )
        except surveys.SurveyRefused as refused:
            return _refused(
                request,
                title="This survey is closed",
                message=refused.messages[0],
                status=REFUSED_STATUS.get(refused.code, 409),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            text = "Thank you — your answers were recorded."
            if response.issue_id:
                text += " We opened an issue so that your project manager follows this up with you."
            messages.success(request, text)
            return redirect("survey-list")
    return render(
        request,
        "metrics/surveys/answer.html",
        {"invitation": invitation, "form": form, "questions": zip(form.csat_fields(), CSAT_QUESTIONS, strict=True)},
    )


# --- Lean portfolio --------------------------------------------------------------------------------


@login_required
def lean_portfolio(request):
    """Lean figures by client, project, PM, service type or quarter, with the trend (CMO staff)."""
    user = request.user
    if not access.can_view_portfolio(user):
        raise Http404
    by, quarter = _period(request)
    rows = lean_rollup.lean_portfolio(user=user, by=by, quarter=quarter)
    detail = None
    project_id = request.GET.get("project", "")
    if project_id.isdigit():
        try:
            detail = lean_rollup.lean_project_detail(user=user, project_id=int(project_id))
        except Project.DoesNotExist as missing:
            raise Http404 from missing
    accidental = pm_excellence.accidental_pm_project_ids([r.key for r in rows]) if by == "project" and rows else set()
    return render(
        request,
        "metrics/lean/portfolio.html",
        {
            "rows": rows,
            "total": lean_rollup.portfolio_total(rows) if rows and by != "quarter" else None,
            "metrics": lean.METRICS,
            "detail": detail,
            "accidental": accidental,
            **_period_context(by, quarter),
        },
    )


@login_required
@GET_POST
def kpi_targets(request):
    """Client KPI targets with their status this quarter; leadership and admins record them."""
    user = request.user
    if not access.can_view_portfolio(user):
        raise Http404
    can_manage = lean_rollup.can_manage_kpi_targets(user)
    form = KpiTargetForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                target = lean_rollup.kpi_target_set(actor=user, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Target saved for {target.client.name}: {target.get_status_display()}.")
                return redirect("kpi-targets")
    targets = list(lean_rollup.kpi_targets(user=user))
    for target in targets:
        target.comparison = lean_rollup.kpi_comparison(target.metric)
    return render(
        request,
        "metrics/lean/kpi_targets.html",
        {
            "targets": targets,
            "form": form,
            "can_manage": can_manage,
            "quarter_label": quarter_label(quarter_of(timezone.now())),
        },
    )


# --- PM excellence ----------------------------------------------------------------------------------


@login_required
@GET_POST
def pm_workload(request):
    """Leadership: PMs' live projects, red projects, certification status and expiring certificates."""
    user = request.user
    if not pm_excellence.can_view_pm_workload(user):
        raise Http404
    form = CertificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            certification = pm_excellence.pm_certification_record(actor=user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Recorded {certification}.")
            return redirect("pm-workload")
    rows = pm_excellence.pm_workload(user=user)
    return render(
        request,
        "metrics/pm/workload.html",
        {
            "rows": rows,
            "expiring": pm_excellence.expiring_certifications(user=user),
            "accidental_count": sum(1 for r in rows if r.accidental),
            "form": form,
        },
    )
