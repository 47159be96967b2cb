"""The system audit trail report for a QA inspector (21 CFR 11.10(b)): every audited change across the system,
the security events and the e-signatures, with the audit chain head, as a page, CSV and PDF.

Reads only: the events are written by database triggers (``core.audit``), the security events by
``clients.security``. The views check ``clients.access.can_lead`` first; the report is the CMO's.
"""

import datetime as dt
import re
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from clients.models import SecurityEvent, User
from projects.audit import AuditEntry, Change, audit_entries, audit_events, tracked_event_models
from projects.records import Project
from projects.signatures.models import Signature

PAGE_SIZE = 50
PDF_LIMIT = 2000  # rows per section in the PDF; the CSV is complete
PDF_TEXT_LIMIT = 1000  # characters of one value printed in the PDF (WeasyPrint lays a paragraph out in quadratic
# time: a 20,000-character description took a minute); the CSV is complete
# WeasyPrint breaks a word wider than its cell in time quadratic in the text's length (a 20,000-character word took
# minutes): the PDF gives every long word a break opportunity (a zero-width space) this often.
PDF_WORD_CHUNK = 20
_LONG_WORD = re.compile(rf"\S{{{PDF_WORD_CHUNK + 1},}}")
SECURITY_EVENT_MODEL = SecurityEvent._meta.label  # listed in its own section, not among the record changes


@dataclass(frozen=True)
class AuditFilters:
    since: dt.datetime | None = None  # inclusive, UTC
    until: dt.datetime | None = None  # exclusive, UTC
    actor: User | None = None
    record_model: str = ""  # "app_label.Model"; empty: every record type
    project: Project | None = None
    kind: str = ""  # security event kind; empty: every kind

    def describe(self) -> dict[str, str]:
        """The filters as an inspector reads them (the export's security event, the PDF's heading)."""
        described = {
            "from": f"{self.since:%Y-%m-%d}" if self.since else "",
            "to": f"{self.until - dt.timedelta(days=1):%Y-%m-%d}" if self.until else "",
            "user": self.actor.username if self.actor else "",
            "record_type": self.record_model,
            "project": self.project.code if self.project else "",
            "security_event_kind": self.kind,
        }
        return {key: value for key, value in described.items() if value}


@dataclass(frozen=True)
class ReportRow:
    """One audit event and, on the newest event of a signed record, the signatures it carries."""

    entry: AuditEntry
    signatures: tuple[Signature, ...] = ()


def record_type_choices() -> list[tuple[str, str]]:
    """(label, name) of every audited model but the security events (they have their own section)."""
    models = tracked_event_models()
    return sorted(
        (
            (label, capfirst(str(m.pgh_tracked_model._meta.verbose_name)))
            for label, m in models.items()
            if label != SECURITY_EVENT_MODEL
        ),
        key=lambda choice: choice[1],
    )


def record_events(filters: AuditFilters) -> QuerySet:
    """The audit events matching ``filters``, newest first, ordered in the database (slice it to page)."""
    models = tracked_event_models()
    if filters.record_model:
        chosen = [models[filters.record_model]]
    else:
        chosen = [m for label, m in models.items() if label != SECURITY_EVENT_MODEL]
    return audit_events(
        event_models=chosen,
        since=filters.since,
        until=filters.until,
        actor=filters.actor,
        project=filters.project,
    )


def report_rows(events, *, user) -> list[ReportRow]:
    """The events as rows with the signatures of their records (two queries: actors, signatures)."""
    entries = audit_entries(events)
    signatures = _signatures_of(entries, user=user)
    rows, shown = [], set()
    for entry in entries:
        key = (entry.record_model.lower(), entry.record_id)
        found = signatures.get(key, ()) if key not in shown else ()
        shown.add(key)
        rows.append(ReportRow(entry=entry, signatures=found))
    return rows


def _signatures_of(entries: list[AuditEntry], *, user) -> dict[tuple[str, str], tuple[Signature, ...]]:
    ids_by_model: dict[str, set[int]] = {}
    for entry in entries:
        if entry.record_model and entry.record_id.isdigit():
            ids_by_model.setdefault(entry.record_model.lower(), set()).add(int(entry.record_id))
    if not ids_by_model:
        return {}
    wanted = Q()
    for label, ids in ids_by_model.items():
        app_label, model = label.split(".")
        wanted |= Q(content_type__app_label=app_label, content_type__model=model, object_id__in=sorted(ids))
    found: dict[tuple[str, str], list[Signature]] = {}
    for signature in Signature.objects.for_user(user).filter(wanted).select_related("content_type"):
        key = (f"{signature.content_type.app_label}.{signature.content_type.model}", str(signature.object_id))
        found.setdefault(key, []).append(signature)
    return {key: tuple(sorted(value, key=lambda s: s.signed_at)) for key, value in found.items()}


def security_events(filters: AuditFilters, *, user) -> QuerySet:
    """Security events by date, user (also failed logins typed with their username) and kind; newest first."""
    events = SecurityEvent.objects.for_user(user)
    if filters.since is not None:
        events = events.filter(at__gte=filters.since)
    if filters.until is not None:
        events = events.filter(at__lt=filters.until)
    if filters.actor is not None:
        events = events.filter(Q(user=filters.actor) | Q(user__isnull=True, username=filters.actor.username))
    if filters.kind:
        events = events.filter(kind=filters.kind)
    return events.order_by("-at", "-pk")


def security_entries(events) -> list[AuditEntry]:
    """Security events in the audit trail's shape, so one CSV carries both (the details as fields)."""
    return [
        AuditEntry(
            at=event.at,
            record_type="SecurityEvent",
            record_id=str(event.pk),
            record_label=event.get_kind_display(),
            action=event.kind,
            actor=f"{event.printed_name} ({event.username})" if event.printed_name else event.username or "—",
            channel=f"ip {event.ip_address}" if event.ip_address else "",
            reason="",
            changes=tuple(Change(key, None, value) for key, value in sorted((event.detail or {}).items())),
            record_model=SECURITY_EVENT_MODEL,
        )
        for event in events
    ]


def pdf_text(value):
    """A value as the PDF prints it: at most ``PDF_TEXT_LIMIT`` characters (the rest counted), long words breakable.
    Numbers and None as they are."""
    if isinstance(value, dict | list | tuple):
        value = str(value)  # as the template would print it (a signature's binding holds the signed content)
    if not isinstance(value, str):
        return value
    if len(value) > PDF_TEXT_LIMIT:
        total = number_format(len(value), force_grouping=True)
        value = value[:PDF_TEXT_LIMIT] + "… " + _("(%(count)s characters in all: the CSV has them)") % {"count": total}
    return _LONG_WORD.sub(
        lambda word: "\u200b".join(word[0][i : i + PDF_WORD_CHUNK] for i in range(0, len(word[0]), PDF_WORD_CHUNK)),
        value,
    )


def _pdf_row(row: ReportRow) -> ReportRow:
    entry = row.entry
    printable = replace(
        entry,
        record_label=pdf_text(entry.record_label),
        actor=pdf_text(entry.actor),
        reason=pdf_text(entry.reason),
        changes=tuple(replace(c, old=pdf_text(c.old), new=pdf_text(c.new)) for c in entry.changes),
    )
    return replace(row, entry=printable)


def audit_report_pdf(*, rows, security, truncated: dict[str, bool], filters: AuditFilters, head, user) -> bytes:
    """The report as a PDF (WeasyPrint): the chain head, the filters, the record events and the security events."""
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import HTML

    html = render_to_string(
        "audit/report_pdf.html",
        {
            "rows": [_pdf_row(row) for row in rows],
            "security": security,
            "truncated": truncated,
            "limit": PDF_LIMIT,
            "filters": filters.describe(),
            "chain_head": head,
            "user": user,
            "generated": timezone.now(),
        },
    )
    return HTML(string=html).write_pdf()
