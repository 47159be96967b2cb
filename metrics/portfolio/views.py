"""Portfolio pages: leadership's ranked portfolio with its exports, and PM workload and certifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients import access
from core.pages import add_form_errors
from core.paging import page_of
from metrics.portfolio import exports, pm_excellence, selectors
from metrics.portfolio.forms import CertificationForm

PAGE_SIZE = 50


@login_required
def portfolio(request):
    """Leadership's portfolio: projects ranked by risk, RAG counts, a chart; the CSV streamed from here, the XLSX
    and PDF built by a worker as export jobs (``metrics.export_jobs``: the page's buttons post there)."""
    if not access.can_view_portfolio(request.user):
        raise Http404
    if request.GET.get("format") == "csv":  # streamed: rows are read and written in chunks, whatever the size
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(exports.portfolio_csv_stream(user=request.user), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.csv"'
        return response
    ranked = selectors.portfolio_ranked(user=request.user)
    page = Paginator(ranked, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.portfolio_rows(user=request.user, projects=page.object_list)
    counts = selectors.portfolio_counts(user=request.user)
    page.paginator.count = counts["total"]
    chart = exports.risk_bar_svg(rows) if page.number == 1 else ""
    return render(request, "metrics/portfolio.html", {"rows": rows, "counts": counts, "chart": chart, "page": page})


EXPIRING_SHOWN = 50  # soonest first; the card counts them all

GET_POST = require_http_methods(["GET", "POST"])


@login_required
@GET_POST
def pm_workload(request):
    """Leadership: PMs' live projects, red projects, certification status and expiring certificates; 50 PMs a page,
    accidental PMs first (sorted in the database)."""
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
            messages.success(request, _("Recorded %(certification)s.") % {"certification": certification})
            return redirect("pm-workload")
    managers = pm_excellence.pm_managers(user=user)
    page = page_of(managers, request.GET)
    expiring = pm_excellence.expiring_certifications(user=user)
    return render(
        request,
        "metrics/pm/workload.html",
        {
            "rows": pm_excellence.pm_rows(page.object_list),
            "page": page,
            "pm_count": page.paginator.count,
            "accidental_count": managers.filter(accidental=True).count(),
            "expiring": expiring[:EXPIRING_SHOWN],
            "expiring_count": expiring.count(),
            "form": form,
        },
    )
