"""Writes for batches and quality events."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit_context
from core.phrases import phrase
from projects.notifications.services import notify, project_staff
from projects.quality.models import Batch, QualityEvent, QualityEventKind, Severity
from projects.records import Project, Visibility, project_inputs_changed, require_editor

#: The notification of a critical quality event, by kind (a whole sentence each: the adjective agrees with the noun).
CRITICAL_EVENT_TEXTS = {
    QualityEventKind.DEVIATION: gettext_noop("%(code)s: critical deviation %(reference)s — %(title)s."),
    QualityEventKind.OOS: gettext_noop(
        "%(code)s: critical out of specification (OOS) result %(reference)s — %(title)s."
    ),
    QualityEventKind.COMPLAINT: gettext_noop("%(code)s: critical complaint %(reference)s — %(title)s."),
    QualityEventKind.CAPA: gettext_noop("%(code)s: critical CAPA %(reference)s — %(title)s."),
}


@transaction.atomic
def batch_create(*, actor, project: Project, **fields) -> Batch:
    require_editor(actor, project, "records batches")
    with audit_context(actor=actor, reason=fields.pop("reason", "") or "Batch recorded"):
        batch = Batch(project=project, **fields)
        batch.full_clean()
        batch.save()
        project_inputs_changed(project.pk)
    return batch


@transaction.atomic
def batch_update(*, actor, batch: Batch, reason: str = "", **changes) -> Batch:
    require_editor(actor, batch.project, "updates batches")
    with audit_context(actor=actor, reason=reason or "Batch updated"):
        for field, value in changes.items():
            setattr(batch, field, value)
        if batch.quality_events.filter(
            kind=QualityEventKind.DEVIATION, severity__in=[Severity.MAJOR, Severity.CRITICAL]
        ).exists():
            batch.right_first_time = False
        batch.full_clean()
        batch.save()
        project_inputs_changed(batch.project_id)
    return batch


@transaction.atomic
def quality_event_create(*, actor, project: Project, **fields) -> QualityEvent:
    """Record a deviation, OOS, complaint or CAPA. A major/critical deviation makes its batch not right-first-time."""
    require_editor(actor, project, "records quality events")
    batch = fields.get("batch")
    if batch is not None and batch.project_id != project.pk:
        raise ValidationError({"batch": [_("The batch belongs to another project.")]})
    if batch is not None and fields.get("visibility", Visibility.INTERNAL) != Visibility.SHARED:
        # Part of the batch record the client's QP reviews (and it can change the batch's right-first-time):
        # an event on a client's batch is never internal (docs/decisions.md).
        raise ValidationError(
            {"visibility": [_("An event on a batch is part of the client's batch record: make it shared.")]}
        )
    if fields.get("due") and fields.get("opened") and fields["due"] < fields["opened"]:
        raise ValidationError({"due": [_("The due date cannot be before the date the event was opened.")]})
    with audit_context(actor=actor, reason=fields.pop("reason", "") or "Quality event recorded"):
        event = QualityEvent(project=project, **fields)
        event.full_clean()
        event.save()
        if batch is not None and event.kind == QualityEventKind.DEVIATION and event.severity != Severity.MINOR:
            Batch.objects.filter(pk=batch.pk).update(right_first_time=False)
        if event.severity == Severity.CRITICAL:
            notify(
                recipients=project_staff(project, with_leadership=True),
                kind="critical_quality_event",
                project=project,
                text=phrase(
                    CRITICAL_EVENT_TEXTS[event.kind], code=project.code, reference=event.reference, title=event.title
                ),
                url=f"/projects/{project.pk}/quality/",
            )
        project_inputs_changed(project.pk)
    return event


@transaction.atomic
def quality_event_close(*, actor, event: QualityEvent, closed: dt.date, reason: str = "") -> QualityEvent:
    require_editor(actor, event.project, "closes quality events")
    if event.closed is not None:
        raise ValidationError(
            {"closed": [_("Already closed on %(date)s.") % {"date": date_format(event.closed, "d M Y")}]}
        )
    if closed > timezone.localdate():
        raise ValidationError({"closed": [_("The closing date cannot be in the future.")]})
    with audit_context(actor=actor, reason=reason or "Quality event closed"):
        event.closed = closed
        event.full_clean()
        event.save(update_fields=["closed"])
        project_inputs_changed(event.project_id)
    return event
