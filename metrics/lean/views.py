"""Lean pages (CMO staff): the Lean portfolio with its trend, and the clients' KPI targets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients import access
from core.pages import add_form_errors
from metrics.groupings import report_period, report_period_context
from metrics.lean import selectors, services
from metrics.lean.forms import KpiTargetForm
from metrics.portfolio import pm_excellence
from metrics.quarters import quarter_label, quarter_of
from projects.models import Project

GET_POST = require_http_methods(["GET", "POST"])


@login_required
def lean_portfolio(request):
    """Lean figures by client, project, PM, service type or quarter, with the trend (CMO staff)."""
    user = request.user
    if not access.can_view_portfolio(user):
        raise Http404
    by, quarter = report_period(request)
    rows = selectors.lean_portfolio(user=user, by=by, quarter=quarter)
    detail = None
    project_id = request.GET.get("project", "")
    if project_id.isdigit():
        try:
            detail = selectors.lean_project_detail(user=user, project_id=int(project_id))
        except Project.DoesNotExist as missing:
            raise Http404 from missing
    accidental = pm_excellence.accidental_pm_project_ids([r.key for r in rows]) if by == "project" and rows else set()
    return render(
        request,
        "metrics/lean/portfolio.html",
        {
            "rows": rows,
            "total": selectors.portfolio_total(rows) if rows and by != "quarter" else None,
            "metrics": selectors.metrics_shown(),
            "detail": detail,
            "accidental": accidental,
            **report_period_context(by, quarter),
        },
    )


@login_required
@GET_POST
def kpi_targets(request):
    """Client KPI targets with their status this quarter; leadership and admins record them."""
    user = request.user
    if not access.can_view_portfolio(user):
        raise Http404
    can_manage = services.can_manage_kpi_targets(user)
    form = KpiTargetForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                target = services.kpi_target_set(actor=user, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Target saved for %(client)s: %(status)s.")
                    % {"client": target.client.name, "status": target.get_status_display()},
                )
                return redirect("kpi-targets")
    targets = list(selectors.kpi_targets(user=user))
    for target in targets:
        target.comparison = selectors.kpi_comparison(target.metric)
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
