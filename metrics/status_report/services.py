"""Issuing a project's status report to its client: the client's version, stored as a shared document version."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import access
from core import phrases
from core.audit import audit_context
from metrics.status_report.pdf import render_status_report_pdf, status_report_filename
from metrics.status_report.selectors import MAX_PERIOD_DAYS
from projects.documents.services import document_create, document_version_add
from projects.models import Document, DocumentKind, DocumentVersion, Project, Visibility
from projects.notifications.services import client_users, notify
from projects.records import require_editor


def status_report_title(project: Project) -> str:
    return f"Status report {project.code}"


def period_check(start: dt.date, end: dt.date) -> None:
    """The rule of the period form, for callers without a form (tasks)."""
    if start > end:
        raise ValidationError({"start": [_("The period's start must be on or before its end.")]})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError({"end": [_("A status report covers at most %(days)s days.") % {"days": MAX_PERIOD_DAYS}]})


@transaction.atomic
def status_report_issue(*, actor, project: Project, start: dt.date, end: dt.date) -> DocumentVersion:
    """The PM issues the client's version of the report (read as the client's users read, ``access.client_reader``) as a
    new version of the project's shared "Status report <code>" document; the client's users are notified. It is for
    information: no review or signature is asked for (the PM may still issue a version for review)."""
    project = Project.objects.select_for_update().select_related("client").get(pk=project.pk)
    require_editor(actor, project, "issues status reports")
    period_check(start, end)
    if not project.client.active:
        raise ValidationError(_("The client is inactive: nobody there could read the report."))
    pdf = render_status_report_pdf(access.client_reader(project.client), project, start, end)
    upload = SimpleUploadedFile(status_report_filename(project, start, end), pdf, content_type="application/pdf")
    title = status_report_title(project)
    reason = f"Status report {project.code} for {start:%d %b %Y}–{end:%d %b %Y} issued to {project.client.name}"
    document = (
        Document.objects.filter(project=project, kind=DocumentKind.REPORT, title=title, visibility=Visibility.SHARED)
        .order_by("pk")
        .first()
    )
    if document is None:
        document = document_create(
            actor=actor,
            project=project,
            title=title,
            kind=DocumentKind.REPORT,
            visibility=Visibility.SHARED,
            file=upload,
            reason=reason,
        )
        version = document.current
    else:
        version = document_version_add(actor=actor, document=document, file=upload, reason=reason)
    with audit_context(actor=actor, reason=reason):
        notify(
            recipients=client_users(project),
            kind="status_report",
            project=project,
            text=phrases.phrase(  # written in each reader's language when shown
                gettext_noop("%(code)s: status report for %(start)s–%(end)s (v%(number)s)."),
                code=project.code,
                start=start,
                end=end,
                number=version.number,
            ),
            url=f"/documents/{document.pk}/",
        )
    return version


def can_issue(user, project: Project) -> bool:
    return access.can_edit_project(user, project)
