"""The risks page: the 5 × 5 heat map of open risks and the register sorted by exposure."""

from itertools import repeat

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, IntegerField, Q, Sum, When
from django.db.models.lookups import Range
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from clients import access
from core.pages import add_form_errors, get_or_404
from core.paging import page_of
from projects.pages import GET_POST, posted, posted_id, project_or_404, render_page
from projects.risks import services
from projects.risks.forms import RiskFilterForm, RiskForm
from projects.risks.heatmap import exposure_band, render_heatmap
from projects.risks.models import Risk, RiskStatus


def _exposure_between(low: int, high: int) -> Q:
    """Risks whose exposure (probability × impact) lies in ``low..high``, computed in the database."""
    return Q(Range(F("probability") * F("impact"), (low, high)))


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
                messages.success(request, _("Risk recorded."))
                return redirect("project-risks", pk=pk)
    elif posted(request, "close"):
        risk = get_or_404(lambda: risks_qs.get(pk=posted_id(request, "risk"), status=RiskStatus.OPEN))
        services.risk_update(actor=user, risk=risk, status=RiskStatus.CLOSED, reason="Risk closed")
        messages.success(request, _("Risk “%(title)s” closed.") % {"title": risk.title})
        return redirect("project-risks", pk=pk)
    elif request.method == "POST":
        return redirect("project-risks", pk=pk)

    summary = risks_qs.filter(status=RiskStatus.OPEN).aggregate(
        open_count=Count("pk"),
        total_exposure=Sum(F("probability") * F("impact")),
        high_count=Count("pk", filter=_exposure_between(*RiskFilterForm.BANDS["high"])),
    )
    cells = (
        risks_qs.filter(status=RiskStatus.OPEN).values_list("probability", "impact").annotate(n=Count("pk")).order_by()
    )
    filter_form = RiskFilterForm(request.GET, for_client=access.is_client_user(user))
    filters = filter_form.filters
    register = risks_qs.select_related("owner").annotate(
        score=F("probability") * F("impact"),
        closed_last=Case(When(status=RiskStatus.OPEN, then=0), default=1, output_field=IntegerField()),
    )
    for name in ("status", "visibility"):
        if filters.get(name):
            register = register.filter(**{name: filters[name]})
    if filters.get("band"):
        register = register.filter(_exposure_between(*RiskFilterForm.BANDS[filters["band"]]))
    page = page_of(register.order_by("closed_last", "-score", "-impact", "title", "pk"), request.GET)
    for risk in page.object_list:
        risk.band = exposure_band(risk.exposure)
    context = {
        "project": project,
        "can_edit": can_edit,
        "risks": page.object_list,
        "page": page,
        "filter_form": filter_form,
        "open_count": summary["open_count"],
        "total_exposure": summary["total_exposure"] or 0,
        "high_count": summary["high_count"],
        "heatmap": render_heatmap(cell for p, i, n in cells for cell in repeat((p, i), n)),
        "form": form,
    }
    return render_page(request, "projects/constraints/risks.html", context)
