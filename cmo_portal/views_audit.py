"""The system audit trail report for leadership and administrators: page, CSV and PDF (21 CFR 11.10(b)); the PDF
is an export job (``cmo_portal.audit_export``)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clients import access
from clients.models import SecurityEventKind
from clients.security import security_event_record
from cmo_portal import audit_report
from cmo_portal.audit_chain import chain_head
from cmo_portal.audit_forms import AuditReportFilterForm
from metrics.export_jobs.models import ExportKind
from metrics.export_jobs.views import export_job_start
from projects.audit import audit_entries, audit_trail_csv


def _filter_form(request) -> AuditReportFilterForm:
    if not access.can_lead(request.user):
        raise Http404
    return AuditReportFilterForm(request.GET or None, user=request.user)


def _refused(form: AuditReportFilterForm) -> HttpResponse:
    errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    return HttpResponse(
        _("The filters are not valid: %(errors)s") % {"errors": errors},
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def audit_report_page(request):
    """Every audited change, newest first, 50 a page, with signatures, the security events and the chain head."""
    form = _filter_form(request)
    valid = not form.is_bound or form.is_valid()
    context = {"form": form, "valid": valid, "chain_head": chain_head(), "rows": []}
    if valid:
        filters = form.filters()
        events_page = Paginator(audit_report.record_events(filters), audit_report.PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        security_page = Paginator(
            audit_report.security_events(filters, user=request.user), audit_report.PAGE_SIZE
        ).get_page(request.GET.get("spage"))
        context |= {
            "rows": audit_report.report_rows(events_page.object_list, user=request.user),
            "events_page": events_page,
            "security_page": security_page,
            "filter_query": _query_without(request, "page", "spage"),
            "events_query": _query_without(request, "page"),
            "security_query": _query_without(request, "spage"),
        }
    return render(request, "audit/report.html", context, status=200 if valid else 400)


@login_required
@require_GET
def audit_report_csv(request):
    """The whole filtered trail, one row per changed field, then the security events; the export is recorded."""
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return _refused(form)
    filters = form.filters()
    entries = audit_entries(audit_report.record_events(filters))
    security = audit_report.security_entries(audit_report.security_events(filters, user=request.user))
    security_event_record(
        kind=SecurityEventKind.EXPORT,
        request=request,
        user=request.user,
        export="system audit trail (CSV)",
        filters=filters.describe(),
        rows=len(entries) + len(security),
    )
    response = HttpResponse(audit_trail_csv(entries + security), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response


@login_required
def audit_report_pdf(request):
    """Ask for the filtered report as a PDF (POST from the page, with its filters): an export job built by a
    worker, bounded to ``PDF_LIMIT`` rows per section (noted when cut); each download is recorded."""
    if not access.can_lead(request.user):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AuditReportFilterForm(request.POST, user=request.user)
    if not form.is_valid():
        return _refused(form)
    posted = {name: request.POST[name] for name in form.fields if request.POST.get(name)}
    return export_job_start(request, kind=ExportKind.AUDIT_PDF, posted=posted)
