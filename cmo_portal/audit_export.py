"""The system audit trail report's PDF as an export job (``metrics.export_jobs``): registered at start-up by
``cmo_portal.apps`` (metrics never imports the composition root). The same file ``audit_report.audit_report_pdf``
makes, from the events read in chunks with progress; each download is recorded as a security event."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from clients.models import SecurityEventKind
from clients.security import security_event_record
from cmo_portal import audit_report
from cmo_portal.audit_chain import chain_head
from cmo_portal.audit_forms import AuditReportFilterForm
from metrics.export_jobs.kinds import BuiltFile, ExportKindSpec, Progress, export_kind_register
from metrics.export_jobs.models import ExportKind

CHUNK = 500


def _errors(form: AuditReportFilterForm) -> str:
    return "; ".join(str(e) for errs in form.errors.values() for e in errs)


def audit_parameters(user, posted: dict) -> dict:
    """The report's filters as posted, validated as the page validates them; only the filled ones are kept."""
    form = AuditReportFilterForm(posted, user=user)
    if not form.is_valid():
        raise ValidationError(_("The filters are not valid: %(errors)s") % {"errors": _errors(form)}, code="filters")
    return {name: str(posted[name]) for name in form.fields if posted.get(name)}


def _filters(user, parameters: dict):
    form = AuditReportFilterForm(parameters, user=user)  # again: a project the user no longer sees is refused
    if not form.is_valid():
        raise ValidationError(
            _("The filters are no longer valid: %(errors)s") % {"errors": _errors(form)}, code="filters"
        )
    return form.filters()


def _read(queryset, limit: int, progress, before: int, total: int) -> list:
    rows: list = []
    while len(rows) <= limit:
        part = list(queryset[len(rows) : min(len(rows) + CHUNK, limit + 1)])
        rows += part
        progress(before + min(len(rows), limit), total)
        if len(part) < CHUNK:
            break
    return rows


def build_audit_pdf(user, parameters: dict, progress: Progress) -> BuiltFile:
    """At most ``PDF_LIMIT`` rows per section (the PDF notes a cut; the CSV is complete)."""
    filters = _filters(user, parameters)
    limit = audit_report.PDF_LIMIT
    record_events = audit_report.record_events(filters)
    security_events = audit_report.security_events(filters, user=user)
    in_events, in_security = min(record_events.count(), limit), min(security_events.count(), limit)
    total = in_events + in_security
    progress(0, total)
    events = _read(record_events, limit, progress, 0, total)
    security = _read(security_events, limit, progress, in_events, total)
    pdf = audit_report.audit_report_pdf(
        rows=audit_report.report_rows(events[:limit], user=user),
        security=security[:limit],
        truncated={"events": len(events) > limit, "security": len(security) > limit},
        filters=filters,
        head=chain_head(),
        user=user,
    )
    rows = min(len(events), limit) + min(len(security), limit)
    return BuiltFile(pdf, f"audit-trail-{timezone.now():%Y%m%d-%H%M}.pdf", "application/pdf", rows)


def record_audit_pdf_download(request, job) -> None:
    try:
        described = _filters(request.user, job.parameters).describe()
    except ValidationError:
        described = dict(job.parameters)
    security_event_record(
        kind=SecurityEventKind.EXPORT,
        request=request,
        user=request.user,
        export="system audit trail (PDF)",
        filters=described,
        rows=job.rows,
    )


AUDIT_PDF = ExportKindSpec(
    kind=ExportKind.AUDIT_PDF,
    may_export=access.can_lead,
    clean_parameters=audit_parameters,
    build=build_audit_pdf,
    on_download=record_audit_pdf_download,
    report_url_name="audit-report",
)


def register() -> None:
    export_kind_register(AUDIT_PDF)
