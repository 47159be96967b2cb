"""Writes for milestones (with the GxP rules), their dependencies and checklists."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients import access
from core import events
from core.audit import audit_context
from core.concurrency import StaleVersion
from projects.milestones.models import ChecklistItem, Milestone, MilestoneDependency
from projects.milestones.plan_import import PlanPreview, find_cycle
from projects.records import Project, project_inputs_changed, require

MILESTONE_EDITABLE_FIELDS = (
    "name",
    "baseline_date",
    "forecast_date",
    "actual_date",
    "weight",
    "percent_complete",
    "client_visible",
    "value_adding",
)
DATES_NEEDING_REASON = ("baseline_date", "forecast_date")


@transaction.atomic
def milestone_update(
    *,
    actor,
    milestone: Milestone,
    expected_version: int | None = None,
    reason: str = "",
    override_reason: str = "",
    today: dt.date | None = None,
    **changes,
) -> Milestone:
    """Update a milestone with the GxP rules.

    A baseline or forecast date change needs a ``reason``; an actual date cannot be
    in the future; completing needs the required checklist items done, or an
    ``override_reason``. Completion sets percent complete to 100.
    """
    require(
        access.can_edit_project(actor, milestone.project),
        _("Only the project's manager or an administrator edits its milestones."),
    )
    locked = Milestone.objects.select_for_update(of=("self",)).select_related("project").get(pk=milestone.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked)
    unknown = set(changes) - set(MILESTONE_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
    changed = {f: v for f, v in changes.items() if getattr(locked, f) != v}
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    moves_recorded_completion = "actual_date" in changed and locked.actual_date is not None
    if (any(f in changed for f in DATES_NEEDING_REASON) or moves_recorded_completion) and not reason:
        errors["reason"] = [
            _("Give a reason for changing a recorded completion date.")
            if moves_recorded_completion
            else _("Give a reason for changing a baseline or forecast date.")
        ]
    today = today or timezone.localdate()
    actual = changed.get("actual_date", locked.actual_date)
    if actual is not None and actual > today:
        errors["actual_date"] = [_("The actual date cannot be in the future.")]
    elif "actual_date" in changed and actual is not None and actual < locked.project.start_date:
        errors["actual_date"] = [
            _("The actual date cannot be before the project's start (%(date)s).")
            % {"date": date_format(locked.project.start_date, "d M Y")}
        ]
    if actual is not None and changed.get("percent_complete", 100) != 100:
        errors["percent_complete"] = [
            _("A completed milestone is 100 %% complete: clear “Completed on” first to reopen it.") % {}
        ]
    completing = "actual_date" in changed and actual is not None
    if "percent_complete" in changed and changed["percent_complete"] == 100 and locked.actual_date is None:
        if "actual_date" not in changed:
            changed["actual_date"] = today
            completing = True
    if completing:
        open_required = list(locked.checklist.filter(required=True, done=False).values_list("text", flat=True))
        if open_required and not override_reason.strip():
            errors["checklist"] = [
                _("Complete the required checklist items first (or give an override reason): %(items)s")
                % {"items": "; ".join(open_required)}
            ]
        changed["percent_complete"] = Decimal(100)
        if open_required and override_reason.strip():
            changed["completion_override_reason"] = override_reason.strip()
    elif "actual_date" in changed and changed["actual_date"] is None and locked.actual_date is not None:
        changed.setdefault("percent_complete", min(locked.percent_complete, Decimal("99")))
    if errors:
        raise ValidationError(errors)
    if not changed:
        return locked
    previous_forecast = locked.forecast_date
    with audit_context(actor=actor, reason=reason or override_reason or None):
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.full_clean()
        locked.save()
        project_inputs_changed(locked.project_id)
        if completing:
            events.publish(events.MILESTONE_COMPLETED, project_id=locked.project_id, record_id=locked.pk)
        elif _slipped(previous_forecast, locked.forecast_date) and locked.actual_date is None:
            events.publish(
                events.MILESTONE_SLIPPED,
                project_id=locked.project_id,
                record_id=locked.pk,
                previous_forecast_date=previous_forecast.isoformat(),
            )
    return locked


def _slipped(before: dt.date | None, after: dt.date | None) -> bool:
    """A milestone slips when its forecast moves later (a first forecast, or an earlier one, is no slip)."""
    return before is not None and after is not None and after > before


def _would_create_cycle(milestone: Milestone, predecessor_ids: set[int]) -> list[int] | None:
    """Return a cycle path if ``predecessor_ids`` became the milestone's predecessors, else None."""
    edges: dict[int, set[int]] = {}
    for pred_id, succ_id in MilestoneDependency.objects.filter(successor__project_id=milestone.project_id).values_list(
        "predecessor_id", "successor_id"
    ):
        if succ_id != milestone.pk:
            edges.setdefault(pred_id, set()).add(succ_id)
    for pred_id in predecessor_ids:
        edges.setdefault(pred_id, set()).add(milestone.pk)
    # A cycle through the milestone exists if the milestone reaches one of its predecessors.
    stack = [(milestone.pk, [milestone.pk])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == milestone.pk:
                return path + [nxt]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


@transaction.atomic
def milestone_set_predecessors(*, actor, milestone: Milestone, predecessors: list[Milestone], reason: str = "") -> None:
    """Replace the milestone's predecessors; refuses cycles and other projects' milestones."""
    require(
        access.can_edit_project(actor, milestone.project),
        _("Only the project's manager or an administrator edits its milestones."),
    )
    ids = {p.pk for p in predecessors}
    if any(p.project_id != milestone.project_id for p in predecessors):
        raise ValidationError({"predecessors": [_("Predecessors must belong to the same project.")]})
    if milestone.pk in ids:
        raise ValidationError({"predecessors": [_("A milestone cannot be its own predecessor.")]})
    cycle = _would_create_cycle(milestone, ids)
    if cycle:
        names = dict(Milestone.objects.filter(pk__in=cycle).values_list("pk", "name"))
        raise ValidationError(
            {
                "predecessors": [
                    _("This would create a cycle: %(cycle)s.") % {"cycle": " → ".join(names[pk] for pk in cycle)}
                ]
            }
        )
    with audit_context(actor=actor, reason=reason or "Predecessors changed"):
        MilestoneDependency.objects.filter(successor=milestone).exclude(predecessor_id__in=ids).delete()
        existing = set(MilestoneDependency.objects.filter(successor=milestone).values_list("predecessor_id", flat=True))
        MilestoneDependency.objects.bulk_create(
            [MilestoneDependency(predecessor_id=pk, successor=milestone) for pk in sorted(ids - existing)]
        )


@transaction.atomic
def checklist_item_set_done(*, actor, item: ChecklistItem, done: bool) -> ChecklistItem:
    require(
        access.can_edit_project(actor, item.milestone.project),
        _("Only the project's manager or an administrator ticks its checklist."),
    )
    with audit_context(actor=actor, reason="Checklist item " + ("done" if done else "reopened")):
        item.done = done
        item.done_by = actor if done else None
        item.done_at = timezone.now() if done else None
        item.save(update_fields=["done", "done_by", "done_at"])
    return item


@transaction.atomic
def milestone_create(*, actor, project: Project, reason: str = "", **fields) -> Milestone:
    """Add a milestone to a project; its baseline defaults to its forecast."""
    require(
        access.can_edit_project(actor, project), _("Only the project's manager or an administrator adds milestones.")
    )
    fields.pop("override_reason", None)
    with audit_context(actor=actor, reason=reason or "Milestone added"):
        if fields.get("sequence") is None:
            fields["sequence"] = (project.milestones.aggregate(n=Max("sequence"))["n"] or 0) + 1
        milestone = Milestone(project=project, **fields)
        if milestone.baseline_date is None:
            milestone.baseline_date = milestone.forecast_date
        milestone.full_clean()
        milestone.save()
        project_inputs_changed(project.pk)
    return milestone


def plan_import_reason(plan: PlanPreview, reason: str) -> str:
    """The import's audit reason, stripped, once the plan may be imported: a reason given, a file without line
    errors and with milestones (into an existing project or a new one); a field map otherwise."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the import: the audit trail records it.")]})
    if plan.errors:
        raise ValidationError({"file": list(plan.errors)})
    if not plan.rows:
        raise ValidationError({"file": [_("The file has no milestones to import.")]})
    return reason


@transaction.atomic
def milestones_import_plan(*, actor, project: Project, plan: PlanPreview, reason: str, replace: bool = False):
    """Create the plan's milestones and finish-to-finish dependencies in one transaction (all or nothing).

    ``plan`` is a checked file (``plan_import.read_plan``); ``reason`` goes to the audit trail of every row.
    ``replace`` first removes the project's milestones, only before the project starts (no baseline) and
    while nothing refers to them. Weights: an equal share each when the project has no other milestones,
    else 0 (the PM sets them). Returns the milestones created.
    """
    require(
        access.can_edit_project(actor, project), _("Only the project's manager or an administrator imports a plan.")
    )
    reason = plan_import_reason(plan, reason)
    cycle = find_cycle(plan.rows)
    if cycle:
        raise ValidationError({"file": [_("The dependencies form a cycle.")]})
    locked = Project.objects.select_for_update().get(pk=project.pk)
    with audit_context(actor=actor, reason=reason):
        if replace:
            _remove_milestones_before_start(locked)
        existing = locked.milestones.aggregate(n=Max("sequence"), count=Count("pk"))
        sequence = existing["n"] or 0
        weight = (Decimal(1) / len(plan.rows)).quantize(Decimal("0.0001")) if not existing["count"] else Decimal(0)
        milestones, errors = [], []
        for offset, row in enumerate(plan.rows, start=1):
            milestone = Milestone(
                project=locked,
                sequence=sequence + offset,
                name=row.name,
                baseline_date=row.finish,
                forecast_date=row.finish,
                duration_days=row.duration_days,
                weight=weight,
            )
            try:
                milestone.clean_fields(exclude=["project"])
            except ValidationError as invalid:
                errors += [
                    _("Line %(line)s, %(field)s: %(error)s") % {"line": row.line, "field": f, "error": m}
                    for f, texts in invalid.message_dict.items()
                    for m in texts
                ]
            milestones.append(milestone)
        if errors:
            raise ValidationError({"file": errors})
        Milestone.objects.bulk_create(milestones)
        by_key = {row.key: m for row, m in zip(plan.rows, milestones, strict=True)}
        MilestoneDependency.objects.bulk_create(
            [
                MilestoneDependency(predecessor=by_key[key], successor=by_key[row.key])
                for row in plan.rows
                for key in row.predecessors
            ]
        )
        project_inputs_changed(locked.pk)
    return milestones


def _remove_milestones_before_start(project: Project) -> None:
    """Delete the project's milestones (cascading to their dependencies and checklists) for a replacing import."""
    if project.baselines.exists():
        raise ValidationError(
            {
                "replace": [
                    _("The project has started (it has a baseline): its milestones are kept; import adds to them.")
                ]
            }
        )
    referenced = project.milestones.filter(Q(actual_date__isnull=False) | Q(documents__isnull=False))
    if referenced.exists() or project.change_requests.exists():
        raise ValidationError(
            {"replace": [_("Completed milestones, or ones documents or change requests refer to, are kept.")]}
        )
    project.milestones.all().delete()
