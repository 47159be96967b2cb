"""Export job pages: ask for an export (POST), watch its progress (htmx polls the status), download the file.

Only the user who asked sees a job (another user, whatever their role: 404), and only while they still may
export that report (access is checked again on every look and download).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from clients import access
from metrics.export_jobs import services
from metrics.export_jobs.kinds import export_kind
from metrics.export_jobs.models import ExportJob, ExportKind, ExportStatus

PORTFOLIO_FORMATS = {"xlsx": ExportKind.PORTFOLIO_XLSX, "pdf": ExportKind.PORTFOLIO_PDF}
POLL_SECONDS = 1


def export_job_start(request, *, kind: str, posted: dict) -> HttpResponse:
    """Ask for the export and go to its page (303); refused filters or too many exports: back to the report."""
    try:
        job = services.export_job_request(actor=request.user, kind=kind, posted=posted)
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(export_kind(kind).report_url_name)
    response = redirect("export-job", pk=job.pk)
    response.status_code = 303
    return response


@login_required
def portfolio_export(request, fmt: str):
    """The portfolio page's "Excel" and "PDF" buttons (POST): an export job of the user's portfolio."""
    if not access.can_view_portfolio(request.user) or fmt not in PORTFOLIO_FORMATS:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    posted = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
    return export_job_start(request, kind=PORTFOLIO_FORMATS[fmt], posted=posted)


def _job_or_404(request, pk: int, *, with_content: bool = False) -> ExportJob:
    jobs = ExportJob.objects.for_user(request.user)
    job = get_object_or_404(jobs if with_content else jobs.defer("content"), pk=pk)
    if not services.may_still_export(request.user, job):
        raise Http404
    return job


@login_required
@require_GET
def export_job(request, pk: int):
    """The job's page: a progress bar while it is built (htmx swaps the status every second), then the link."""
    job = _job_or_404(request, pk)
    job.error = job.shown_error  # stored in English; shown in the reader's language (this page only, never saved)
    context = {
        "job": job,
        "report_url": reverse(export_kind(job.kind).report_url_name),
        "poll_seconds": POLL_SECONDS,
    }
    template = "metrics/export_jobs/_status.html" if request.htmx else "metrics/export_jobs/job.html"
    response = render(request, template, context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def export_job_download(request, pk: int):
    """The built file, to the user who asked for it only; not built yet: the job's page."""
    job = _job_or_404(request, pk, with_content=True)
    if job.status != ExportStatus.DONE:
        return redirect("export-job", pk=job.pk)
    spec = export_kind(job.kind)
    if spec.on_download is not None:
        spec.on_download(request, job)
    response = HttpResponse(bytes(job.content), content_type=job.content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
