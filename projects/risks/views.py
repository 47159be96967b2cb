"""The risks page: the 5 × 5 heat map of open risks and the register sorted by exposure."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, F, IntegerField, When
from django.http import Http404
from django.shortcuts import redirect

from clients import access
from core.pages import add_form_errors, get_or_404
from projects.pages import GET_POST, posted, posted_id, project_or_404, render_page
from projects.risks import services
from projects.risks.forms import RiskForm
from projects.risks.heatmap import exposure_band, render_heatmap
from projects.risks.models import Risk, RiskStatus


@login_required
@GET_POST
def project_risks(request, pk: int):
    """The 5 × 5 heat map of open risks and the register sorted by exposure; the PM's risk form."""
    project = project_or_404(request, pk)
    user = request.user
    can_edit = access.can_edit_project(user, project)
    if request.method == "POST" and not can_edit:
        raise Http404
    risks_qs = Risk.objects.for_user(user).filter(project=project)
    form = RiskForm()
    if posted(request, "risk"):
        form = RiskForm(request.POST)
        if form.is_valid():
            try:
                services.risk_create(actor=user, project=project, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(request, "Risk recorded.")
                return redirect("project-risks", pk=pk)
    elif posted(request, "close"):
        risk = get_or_404(lambda: risks_qs.get(pk=posted_id(request, "risk"), status=RiskStatus.OPEN))
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
    return render_page(request, "projects/constraints/risks.html", context)
