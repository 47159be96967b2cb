"""The status report: the page (preview with its period), the PDF download, and the PM's "Issue to client"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients import access
from clients.models import SecurityEventKind
from clients.security import security_event_record
from core.pages import get_or_404
from metrics.status_report import services
from metrics.status_report.forms import StatusReportPeriodForm
from metrics.status_report.pdf import render_status_report_pdf, status_report_filename
from metrics.status_report.selectors import status_report
from projects.records import project_get


def _period_form(request) -> StatusReportPeriodForm:
    data = request.POST if request.method == "POST" else request.GET
    return StatusReportPeriodForm({k: data.get(k, "") for k in ("start", "end")})


@login_required
@require_http_methods(["GET", "POST"])
def project_status_report(request, pk: int):
    """The report for a period as the reader may see it (clients: the client's version); the PM issues the
    client's version (POST) as a new version of the project's shared status report document."""
    project = get_or_404(project_get, user=request.user, pk=pk)
    can_issue = services.can_issue(request.user, project)
    form = _period_form(request)
    if request.method == "POST":
        if not can_issue:
            raise Http404
        if form.is_valid():
            start, end = form.period()
            try:
                version = services.status_report_issue(actor=request.user, project=project, start=start, end=end)
            except ValidationError as error:
                form.add_error(None, error.messages)
            except PermissionDenied as error:
                raise Http404 from error
            else:
                messages.success(
                    request,
                    _("Issued to %(client)s: %(title)s v%(number)s (the client's version).")
                    % {"client": project.client.name, "title": version.document.title, "number": version.number},
                )
                return redirect("document-detail", pk=version.document_id)
    report = None
    if form.is_valid():
        start, end = form.period()
        report = get_or_404(status_report, user=request.user, project_id=project.pk, start=start, end=end)
    status = 400 if form.errors else 200
    query = urlencode({"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}) if report else ""
    return render(
        request,
        "projects/status_report/page.html",
        {"project": project, "report": report, "form": form, "can_issue": can_issue, "pdf_query": query},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def project_status_report_pdf(request, pk: int):
    """The report as a PDF download for the reader's own view; a bad period answers 400 with the reason."""
    project = get_or_404(project_get, user=request.user, pk=pk)
    form = _period_form(request)
    if not form.is_valid():
        errors = "; ".join(e for errors in form.errors.values() for e in errors)
        return HttpResponse(
            _("The status report was not made: %(errors)s") % {"errors": errors} + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    start, end = form.period()
    pdf = get_or_404(render_status_report_pdf, user=request.user, project=project, start=start, end=end)
    filename = status_report_filename(project, start, end)
    security_event_record(
        kind=SecurityEventKind.EXPORT,
        user=request.user,
        request=request,
        export="status report",
        project=project.code,
        period=f"{start.isoformat()}..{end.isoformat()}",
        version="CMO" if access.can_see_internal(request.user) else "client",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
