"""Reading the GxP audit trail of a project (events written by database triggers).

Each entry says who (user, or the channel when no user: raw SQL, a task), when
(UTC), what (record and action), old and new values, and why (the reason).
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

import pghistory.models
from django.apps import apps
from django.db.models import Q, QuerySet
from pghistory.models import Events

from clients.models import User
from core.exports import safe_cell
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
    record_model: str = ""  # "app_label.Model" of the record, e.g. to find its signatures


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


def frozen_actor(context: dict) -> str:
    """The actor as they were when they made the change (names are frozen into the event's context)."""
    if context.get("printed_name") and context.get("username"):
        return f"{context['printed_name']} ({context['username']})"
    return ""


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
    return audit_entries(sorted(unique, key=lambda e: (e.pgh_created_at, e.pgh_id), reverse=True))


def audit_entries(events: Iterable[Events]) -> list[AuditEntry]:
    """The events as entries, in the order given; the actors' names in one query."""
    events = list(events)
    user_ids = {(e.pgh_context or {}).get("user") for e in events} - {None}
    names = {u.pk: f"{u.display_name} ({u.username})" for u in User.objects.filter(pk__in=user_ids)}
    entries = []
    for event in events:
        context = event.pgh_context or {}
        entries.append(
            AuditEntry(
                at=event.pgh_created_at,
                record_type=event.pgh_obj_model.split(".")[-1],
                record_id=str(event.pgh_obj_id),
                record_label=_label(event.pgh_data or {}),
                action=event.pgh_label,
                actor=frozen_actor(context) or names.get(context.get("user"), "—"),
                channel=context.get("channel", "database"),
                reason=context.get("reason", ""),
                changes=_changes(event),
                record_model=event.pgh_obj_model,
            )
        )
    return entries


def tracked_event_models() -> dict[str, type]:
    """Every audited model's event table, by the audited model's label ("projects.Milestone")."""
    return {
        m.pgh_tracked_model._meta.label: m
        for m in apps.get_models()
        if issubclass(m, pghistory.models.Event) and not m._meta.abstract and not m._meta.proxy
    }


def project_events_filter(project: Project) -> Q:
    """Events of the project and of every record hanging from it, deleted ones too (3 queries).

    Records name their project (``project_id``), or a milestone, baseline or issue of it.
    """
    milestone_ids = _ids_ever_in(project, "MilestoneEvent")
    baseline_ids = _ids_ever_in(project, "BaselineEvent")
    issue_ids = _ids_ever_in(project, "IssueEvent")
    return (
        Q(pgh_obj_model=Project._meta.label, pgh_obj_id=str(project.pk))
        | Q(pgh_data__project_id=project.pk)
        | Q(pgh_data__milestone_id__in=milestone_ids)
        | Q(pgh_data__predecessor_id__in=milestone_ids)
        | Q(pgh_data__successor_id__in=milestone_ids)
        | Q(pgh_data__baseline_id__in=baseline_ids)
        | Q(pgh_data__issue_id__in=issue_ids)
    )


def _ids_ever_in(project: Project, event_model: str) -> list[int]:
    events = apps.get_model("projects", event_model).objects.filter(project_id=project.pk)
    return sorted(set(events.values_list("pgh_obj_id", flat=True)))


def audit_events(
    *,
    event_models: Iterable[type] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actor: User | None = None,
    project: Project | None = None,
) -> QuerySet:
    """Events across ``event_models`` (every audited model when empty), newest first, ordered in the database.

    ``since`` is inclusive, ``until`` exclusive (UTC). Callers check access first: the trail is for CMO staff.
    """
    events = Events.objects.across(*event_models)
    if since is not None:
        events = events.filter(pgh_created_at__gte=since)
    if until is not None:
        events = events.filter(pgh_created_at__lt=until)
    if actor is not None:
        events = events.filter(pgh_context__user=actor.pk)
    if project is not None:
        events = events.filter(project_events_filter(project))
    return events.order_by("-pgh_created_at", "-pgh_id", "-pgh_model")


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
            writer.writerow([safe_cell(v) for v in (*base, change.field, change.old, change.new)])
    return buffer.getvalue()
