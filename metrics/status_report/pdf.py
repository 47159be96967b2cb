"""The status report as a PDF: the page's report template laid out for print by WeasyPrint."""

import datetime as dt

from django.template.loader import render_to_string

from metrics.status_report.selectors import StatusReport, status_report


def status_report_html(report: StatusReport) -> str:
    """The standalone print document (print CSS) around the same report body as the page."""
    return render_to_string("projects/status_report/pdf.html", {"report": report, "project": report.project})


def render_status_report_pdf(user, project, start: dt.date, end: dt.date) -> bytes:
    """The report of ``project`` for ``start``..``end`` as ``user`` may see it, as PDF bytes (deterministic: the
    same records give the same bytes). ``Project.DoesNotExist`` when the project is not in the user's scope."""
    from weasyprint import HTML

    report = status_report(user=user, project_id=getattr(project, "pk", project), start=start, end=end)
    return HTML(string=status_report_html(report)).write_pdf()


def status_report_filename(report_or_project, start: dt.date, end: dt.date) -> str:
    project = getattr(report_or_project, "project", report_or_project)
    return f"status-report-{project.code}-{start:%Y%m%d}-{end:%Y%m%d}.pdf"
