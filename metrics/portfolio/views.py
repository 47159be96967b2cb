"""Portfolio pages: leadership's ranked portfolio with its exports, and PM workload and certifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clients import access
from core.pages import add_form_errors
from metrics.portfolio import exports, pm_excellence, selectors
from metrics.portfolio.forms import CertificationForm


@login_required
def portfolio(request):
    """Leadership's portfolio: projects ranked by risk, RAG counts, a chart, CSV and XLSX exports."""
    if not access.can_view_portfolio(request.user):
        raise Http404
    rows = selectors.portfolio_rows(user=request.user)
    fmt = request.GET.get("format")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = HttpResponse(exports.portfolio_csv(rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            exports.portfolio_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.xlsx"'
        return response
    chart = exports.risk_bar_svg(rows)
    if fmt == "pdf":
        response = HttpResponse(
            exports.portfolio_pdf(rows, user=request.user, chart=chart), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.pdf"'
        return response
    return render(
        request, "metrics/portfolio.html", {"rows": rows, "counts": selectors.rag_counts(rows), "chart": chart}
    )


GET_POST = require_http_methods(["GET", "POST"])


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
            add_form_errors(form, error)
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
