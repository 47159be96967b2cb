"""Reading the GxP audit trail of a project (events written by database triggers).

Each entry says who (user, or the channel when no user: raw SQL, a task), when
(UTC), what (record and action), old and new values, and why (the reason).
"""

import csv
import io
from dataclasses import dataclass

from django.apps import apps
from pghistory.models import Events

from clients.models import User
from projects.baselines.models import Baseline
from projects.milestones.models import Milestone
from projects.records import Project

HIDDEN_FIELDS = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context", "pgh_obj_id", "pgh_context_id"}


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class AuditEntry:
    at: object
    record_type: str
    record_id: str
    record_label: str
    action: str
    actor: str
    channel: str
    reason: str
    changes: tuple[Change, ...]


def _label(data: dict) -> str:
    for key in ("code", "name", "text", "milestone_name", "printed_name", "number"):
        if data.get(key) not in (None, ""):
            return str(data[key])
    return ""


def _changes(event) -> tuple[Change, ...]:
    data = {k: v for k, v in (event.pgh_data or {}).items() if k not in HIDDEN_FIELDS}
    if event.pgh_label == "update":
        return tuple(Change(f, old, new) for f, (old, new) in sorted((event.pgh_diff or {}).items()))
    if event.pgh_label == "delete":
        return tuple(Change(f, v, None) for f, v in sorted(data.items()))
    return tuple(Change(f, None, v) for f, v in sorted(data.items()))


def project_audit_trail(*, project: Project) -> list[AuditEntry]:
    """Every event of the project and its records, newest first (a fixed number of queries).

    Callers check access first: the trail is for CMO staff only.
    """
    milestone_event = apps.get_model("projects", "MilestoneEvent")
    baseline_event = apps.get_model("projects", "BaselineEvent")
    milestone_ids = set(milestone_event.objects.filter(project_id=project.pk).values_list("pgh_obj_id", flat=True))
    baseline_ids = set(baseline_event.objects.filter(project_id=project.pk).values_list("pgh_obj_id", flat=True))
    events = list(Events.objects.references(project))
    if milestone_ids:
        events += Events.objects.references([Milestone(pk=pk) for pk in sorted(milestone_ids)])
    if baseline_ids:
        events += Events.objects.references([Baseline(pk=pk) for pk in sorted(baseline_ids)])
    unique = {e.pgh_slug: e for e in events}.values()
    user_ids = {(e.pgh_context or {}).get("user") for e in unique} - {None}
    names = {u.pk: f"{u.display_name} ({u.username})" for u in User.objects.filter(pk__in=user_ids)}
    entries = []
    for event in sorted(unique, key=lambda e: (e.pgh_created_at, e.pgh_id), reverse=True):
        context = event.pgh_context or {}
        entries.append(
            AuditEntry(
                at=event.pgh_created_at,
                record_type=event.pgh_obj_model.split(".")[-1],
                record_id=str(event.pgh_obj_id),
                record_label=_label(event.pgh_data or {}),
                action=event.pgh_label,
                actor=names.get(context.get("user"), "—"),
                channel=context.get("channel", "database"),
                reason=context.get("reason", ""),
                changes=_changes(event),
            )
        )
    return entries


def audit_trail_csv(entries: list[AuditEntry]) -> str:
    """One row per changed field: when (UTC ISO 8601), record, action, actor, channel, reason, field, old, new."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "when_utc",
            "record_type",
            "record_id",
            "record",
            "action",
            "actor",
            "channel",
            "reason",
            "field",
            "old",
            "new",
        ]
    )
    for e in entries:
        base = [e.at.isoformat(), e.record_type, e.record_id, e.record_label, e.action, e.actor, e.channel, e.reason]
        for change in e.changes or (Change("", "", ""),):
            writer.writerow([*base, change.field, _csv_value(change.old), _csv_value(change.new)])
    return buffer.getvalue()


def _csv_value(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formula injection in spreadsheets
