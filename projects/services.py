"""Writes for projects, milestones, checklists, baselines and signatures.

Every function validates, writes inside one transaction with the audit context
(actor, reason), and enqueues follow-up work with ``transaction.on_commit``.
"""

import datetime as dt
import hashlib
import json
import logging
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from clients import access
from core.audit import audit_context
from core.broker import send_task_safely
from core.concurrency import StaleVersion  # noqa: F401  (services.StaleVersion is raised here)
from core.input_ranges import EARLIEST_DATE, LATEST_DATE, date_in_range
from projects.models import (
    Baseline,
    BaselineItem,
    BaselineStatus,
    Batch,
    ChangeRequest,
    ChangeRequestStatus,
    ChecklistItem,
    CostCategory,
    CostEntry,
    Invoice,
    Issue,
    IssueComment,
    IssueStatus,
    Milestone,
    MilestoneDependency,
    Project,
    ProjectStatus,
    ProjectTemplate,
    QualityEvent,
    QualityEventKind,
    Risk,
    Severity,
    Signature,
    SignatureMeaning,
    Visibility,
)
from projects.notifications import client_approvers, client_users, notify, project_staff
from projects.schedule_change import moved_forecast, moves_with_change

PROJECT_EDITABLE_FIELDS = (
    "name",
    "product",
    "service_type",
    "manager",
    "status",
    "start_date",
    "target_date",
    "budget",
    "contract_value",
    "currency",
)
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


RECOMPUTE_PROJECT_TASK = "metrics.tasks.recompute_project_scores"
SIGNATURE_MAX_FAILURES = 5  # 21 CFR 11.300(d): detect and stop repeated unauthorised attempts
SIGNATURE_LOCK_SECONDS = 15 * 60
logger = logging.getLogger(__name__)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def project_inputs_changed(project_id: int) -> None:
    """Mark the project's scores stale and recompute them once, after the transaction commits.

    Several writes in one transaction enqueue a single recompute; a rollback enqueues none.
    If the broker is down the write still succeeds: the stale mark makes the next scheduled
    recompute catch up.
    """
    Project.objects.filter(pk=project_id, scores_stale=False).update(scores_stale=True)
    connection = transaction.get_connection()
    if any(getattr(func, "recompute_project_id", None) == project_id for _, func, _ in connection.run_on_commit):
        return

    def enqueue() -> None:
        send_task_safely(RECOMPUTE_PROJECT_TASK, project_id)  # implemented by metrics (a higher layer)

    enqueue.recompute_project_id = project_id
    transaction.on_commit(enqueue)


# --- Projects ----------------------------------------------------------------------


@transaction.atomic
def project_create(*, actor, template: ProjectTemplate | None = None, **fields) -> Project:
    """Create a project (PMs and admins); with a template, its milestones and checklists too."""
    _require(access.can_create_project(actor), "Only project managers and administrators create projects.")
    with audit_context(actor=actor, reason=fields.pop("reason", None) or "Project created"):
        project = Project(**fields)
        if project.manager_id is None and actor.role == "project_manager":
            project.manager = actor
        project.full_clean()
        project.save()
        if template is not None:
            _apply_template(project, template)
        project_inputs_changed(project.pk)
    return project


def _apply_template(project: Project, template: ProjectTemplate) -> list[Milestone]:
    """Milestones due at start + offset + duration, chained in sequence, with their checklists."""
    milestone_templates = list(template.milestones.prefetch_related("checklist").order_by("sequence"))
    total_weight = sum((m.weight for m in milestone_templates), Decimal(0)) or Decimal(1)
    milestones = []
    for mt in milestone_templates:
        due = project.start_date + dt.timedelta(days=mt.offset_days + mt.duration_days)
        milestones.append(
            Milestone(
                project=project,
                sequence=mt.sequence,
                name=mt.name,
                baseline_date=due,
                forecast_date=due,
                duration_days=mt.duration_days,
                weight=(mt.weight / total_weight).quantize(Decimal("0.0001")),
                value_adding=mt.value_adding,
                client_visible=mt.client_visible,
            )
        )
    Milestone.objects.bulk_create(milestones)
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(milestone=m, sequence=item.sequence, text=item.text, required=item.required)
            for m, mt in zip(milestones, milestone_templates, strict=True)
            for item in mt.checklist.all()
        ]
    )
    MilestoneDependency.objects.bulk_create(
        [MilestoneDependency(predecessor=a, successor=b) for a, b in zip(milestones, milestones[1:], strict=False)]
    )
    return milestones


@transaction.atomic
def project_update(
    *, actor, project: Project, expected_version: int | None = None, reason: str = "", **changes
) -> Project:
    """Update a project's plain fields; ``expected_version`` guards against lost updates."""
    _require(access.can_edit_project(actor, project), "Only the project's manager or an administrator edits it.")
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked)
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(unknown)})
    with audit_context(actor=actor, reason=reason or None):
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.full_clean()
        locked.save()
        project_inputs_changed(locked.pk)
    return locked


@transaction.atomic
def project_start(*, actor, project: Project) -> Baseline:
    """Start the project: status active and the first baseline (the plan as agreed at kick-off)."""
    _require(access.can_edit_project(actor, project), "Only the project's manager or an administrator starts it.")
    if project.baselines.exists():
        raise ValidationError({"status": ["The project has already started (it has a baseline)."]})
    with audit_context(actor=actor, reason="Project started; initial baseline"):
        Project.objects.filter(pk=project.pk).update(status=ProjectStatus.ACTIVE, version=project.version + 1)
        baseline = _snapshot_baseline(project, actor=actor, reason="Initial baseline at project start", initial=True)
        baseline.status = BaselineStatus.APPROVED
        baseline.decided_at = timezone.now()
        baseline.save(update_fields=["status", "decided_at"])
        project_inputs_changed(project.pk)
    project.refresh_from_db()
    return baseline


# --- Milestones --------------------------------------------------------------------


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
    _require(
        access.can_edit_project(actor, milestone.project),
        "Only the project's manager or an administrator edits its milestones.",
    )
    locked = Milestone.objects.select_for_update(of=("self",)).select_related("project").get(pk=milestone.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked)
    unknown = set(changes) - set(MILESTONE_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(unknown)})
    changed = {f: v for f, v in changes.items() if getattr(locked, f) != v}
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    moves_recorded_completion = "actual_date" in changed and locked.actual_date is not None
    if (any(f in changed for f in DATES_NEEDING_REASON) or moves_recorded_completion) and not reason:
        errors["reason"] = [
            "Give a reason for changing a recorded completion date."
            if moves_recorded_completion
            else "Give a reason for changing a baseline or forecast date."
        ]
    today = today or timezone.localdate()
    actual = changed.get("actual_date", locked.actual_date)
    if actual is not None and actual > today:
        errors["actual_date"] = ["The actual date cannot be in the future."]
    elif "actual_date" in changed and actual is not None and actual < locked.project.start_date:
        errors["actual_date"] = [
            f"The actual date cannot be before the project's start ({locked.project.start_date:%d %b %Y})."
        ]
    if actual is not None and changed.get("percent_complete", 100) != 100:
        errors["percent_complete"] = [
            "A completed milestone is 100 % complete: clear “Completed on” first to reopen it."
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
                "Complete the required checklist items first (or give an override reason): " + "; ".join(open_required)
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
    with audit_context(actor=actor, reason=reason or override_reason or None):
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.full_clean()
        locked.save()
        project_inputs_changed(locked.project_id)
    return locked


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
    _require(
        access.can_edit_project(actor, milestone.project),
        "Only the project's manager or an administrator edits its milestones.",
    )
    ids = {p.pk for p in predecessors}
    if any(p.project_id != milestone.project_id for p in predecessors):
        raise ValidationError({"predecessors": ["Predecessors must belong to the same project."]})
    if milestone.pk in ids:
        raise ValidationError({"predecessors": ["A milestone cannot be its own predecessor."]})
    cycle = _would_create_cycle(milestone, ids)
    if cycle:
        names = dict(Milestone.objects.filter(pk__in=cycle).values_list("pk", "name"))
        raise ValidationError(
            {"predecessors": ["This would create a cycle: " + " → ".join(names[pk] for pk in cycle) + "."]}
        )
    with audit_context(actor=actor, reason=reason or "Predecessors changed"):
        MilestoneDependency.objects.filter(successor=milestone).exclude(predecessor_id__in=ids).delete()
        existing = set(MilestoneDependency.objects.filter(successor=milestone).values_list("predecessor_id", flat=True))
        MilestoneDependency.objects.bulk_create(
            [MilestoneDependency(predecessor_id=pk, successor=milestone) for pk in sorted(ids - existing)]
        )


@transaction.atomic
def checklist_item_set_done(*, actor, item: ChecklistItem, done: bool) -> ChecklistItem:
    _require(
        access.can_edit_project(actor, item.milestone.project),
        "Only the project's manager or an administrator ticks its checklist.",
    )
    with audit_context(actor=actor, reason="Checklist item " + ("done" if done else "reopened")):
        item.done = done
        item.done_by = actor if done else None
        item.done_at = timezone.now() if done else None
        item.save(update_fields=["done", "done_by", "done_at"])
    return item


# --- Baselines ---------------------------------------------------------------------


def rebaseline_keeps(milestone: Milestone, *, today: dt.date) -> bool:
    """True when a re-baseline must keep this milestone's baseline date.

    A re-baseline re-plans the work still ahead. A milestone already completed, or already due
    (its baseline date has passed), was measured against the baseline in force when it was due:
    moving that date would turn late work into on-time work in OTD, slip and the risk score.
    """
    return milestone.actual_date is not None or (
        milestone.baseline_date is not None and milestone.baseline_date < today
    )


def _snapshot_baseline(project: Project, *, actor, reason: str, initial: bool = False) -> Baseline:
    number = (project.baselines.aggregate(n=Max("number"))["n"] or 0) + 1
    baseline = Baseline.objects.create(
        project=project, number=number, reason=reason, budget=project.budget, created_by=actor
    )
    today = timezone.localdate()
    BaselineItem.objects.bulk_create(
        [
            BaselineItem(
                baseline=baseline,
                milestone=m,
                milestone_name=m.name,
                date=(
                    m.baseline_date
                    if not initial and rebaseline_keeps(m, today=today)
                    else m.forecast_date or m.baseline_date
                ),
                client_visible=m.client_visible,
            )
            for m in project.milestones.order_by("sequence")
        ]
    )
    return baseline


@transaction.atomic
def baseline_propose(*, actor, project: Project, reason: str) -> Baseline:
    """Propose a re-baseline: today's forecasts and budget become the plan once a client approver signs."""
    _require(access.can_edit_project(actor, project), "Only the project's manager or an administrator re-baselines.")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["A re-baseline needs a reason."]})
    if project.baselines.filter(status=BaselineStatus.PROPOSED).exists():
        raise ValidationError({"project": ["A re-baseline is already awaiting the client's signature."]})
    with audit_context(actor=actor, reason=reason.strip()):
        baseline = _snapshot_baseline(project, actor=actor, reason=reason.strip())
        notify(
            recipients=client_approvers(project),
            kind="baseline_proposed",
            project=project,
            text=f"{project.code}: re-baseline {baseline.number} awaits your signature.",
            url=f"/baselines/{baseline.pk}/sign/",
        )
    return baseline


@transaction.atomic
def baseline_decide(*, actor, baseline: Baseline, password: str, approve: bool, comment: str = "") -> Signature:
    """A client approver signs the proposed re-baseline (approval applies its dates) or rejects it."""
    baseline = Baseline.objects.select_for_update().select_related("project").get(pk=baseline.pk)
    if not access.can_sign_for_client(actor, baseline.project):
        raise PermissionDenied("Only an approver of the project's client signs a re-baseline.")
    if baseline.status != BaselineStatus.PROPOSED:
        raise ValidationError({"status": [f"This baseline is already {baseline.get_status_display().lower()}."]})
    meaning = SignatureMeaning.APPROVAL if approve else SignatureMeaning.REJECTION
    reason = comment.strip() or ("Re-baseline approved" if approve else "Re-baseline rejected")
    with audit_context(actor=actor, reason=reason):
        signature = signature_sign(actor=actor, record=baseline, password=password, meaning=meaning)
        baseline.status = BaselineStatus.APPROVED if approve else BaselineStatus.REJECTED
        baseline.decided_at = signature.signed_at
        baseline.save(update_fields=["status", "decided_at"])
        if approve:
            items = {item.milestone_id: item.date for item in baseline.items.all() if item.milestone_id}
            today = timezone.localdate()
            milestones = [
                m
                for m in Milestone.objects.filter(pk__in=items)
                if not rebaseline_keeps(m, today=today) and m.baseline_date != items[m.pk]
            ]
            for m in milestones:
                m.baseline_date = items[m.pk]
                m.version += 1
            Milestone.objects.bulk_update(milestones, ["baseline_date", "version"])
            Project.objects.filter(pk=baseline.project_id).update(budget=baseline.budget)
            project_inputs_changed(baseline.project_id)
    return signature


# --- Electronic signatures ---------------------------------------------------------


def canonical_content(record) -> dict:
    """The content a signature covers: the record's own ``signature_content()``."""
    return json.loads(json.dumps(record.signature_content(), sort_keys=True, default=str))


def content_hash(content: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content``."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@transaction.atomic
def signature_sign(*, actor, record, password: str, meaning: str) -> Signature:
    """Sign ``record`` after re-checking the signer's password (21 CFR 11.200); nothing is written on failure."""
    if meaning not in SignatureMeaning.values:
        raise ValidationError({"meaning": [f"Choose one of: {', '.join(SignatureMeaning.values)}."]})
    failures_key = f"signature-failures:{actor.pk}"
    if cache.get(failures_key, 0) >= SIGNATURE_MAX_FAILURES:
        raise ValidationError(
            {"password": ["Too many wrong passwords: signing is locked for 15 minutes. Nothing was signed."]}
        )
    if not password or not actor.check_password(password):
        failures = cache.get(failures_key, 0) + 1
        cache.set(failures_key, failures, SIGNATURE_LOCK_SECONDS)
        logger.warning("Failed e-signature attempt %s by user %s", failures, actor.pk)
        raise ValidationError({"password": ["The password is not correct; nothing was signed."]})
    cache.delete(failures_key)
    content = canonical_content(record)
    return Signature.objects.create(
        signer=actor,
        printed_name=actor.display_name,
        meaning=meaning,
        project_id=record.project_id,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        content=content,
        content_hash=content_hash(content),
    )


def signature_is_current(signature: Signature, record) -> bool:
    """False when the signed record changed after signing ("changed since signed")."""
    return content_hash(canonical_content(record)) == signature.content_hash


@transaction.atomic
def milestone_create(*, actor, project: Project, reason: str = "", **fields) -> Milestone:
    """Add a milestone to a project; its baseline defaults to its forecast."""
    _require(access.can_edit_project(actor, project), "Only the project's manager or an administrator adds milestones.")
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


# --- Cost ------------------------------------------------------------------------------


def _require_editor(actor, project: Project, what: str) -> None:
    _require(access.can_edit_project(actor, project), f"Only the project's manager or an administrator {what}.")


@transaction.atomic
def cost_entry_create(*, actor, project: Project, **fields) -> CostEntry:
    _require_editor(actor, project, "records costs")
    with audit_context(actor=actor, reason=fields.pop("reason", "") or "Cost recorded"):
        entry = CostEntry(project=project, created_by=actor, **fields)
        entry.full_clean()
        entry.save()
        project_inputs_changed(project.pk)
    return entry


MAX_AMOUNT = Decimal(10) ** 12  # money columns hold 12 integer digits


@transaction.atomic
def cost_entries_import_csv(*, actor, project: Project, text: str) -> list[CostEntry]:
    """Import cost entries from CSV (header: date,amount,category[,description]); all or nothing.

    A bad row raises ``ValidationError`` naming the line and the column; nothing is imported.
    """
    import csv
    import io

    _require_editor(actor, project, "imports costs")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("date", "amount", "category") if c not in header]
    if missing:
        raise ValidationError({"file": [f"Line 1: the header lacks the column(s) {', '.join(missing)}."]})
    reader.fieldnames = header
    entries, errors = [], []
    categories = {c.value: c.value for c in CostCategory} | {c.label.lower(): c.value for c in CostCategory}
    for row in reader:
        line = reader.line_num  # physical line (a quoted field may span several)
        row = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            date = dt.date.fromisoformat(row["date"])
        except ValueError:
            errors.append(f"Line {line}, column date: '{row['date']}' is not a date (YYYY-MM-DD).")
            continue
        try:
            amount = Decimal(row["amount"].replace(",", "")).quantize(Decimal("0.01"))
            if not amount.is_finite():
                raise ValueError
        except (ArithmeticError, ValueError):
            errors.append(f"Line {line}, column amount: '{row['amount']}' is not an amount.")
            continue
        if abs(amount) >= MAX_AMOUNT:
            errors.append(f"Line {line}, column amount: '{row['amount']}' is larger than the portal records.")
            continue
        category = categories.get(row["category"].lower())
        if category is None:
            errors.append(
                f"Line {line}, column category: '{row['category']}' is not one of {', '.join(CostCategory.values)}."
            )
            continue
        entries.append(
            CostEntry(
                project=project,
                date=date,
                amount=amount,
                category=category,
                description=row.get("description", "")[:300],
                created_by=actor,
            )
        )
    if errors:
        raise ValidationError({"file": errors})
    if not entries:
        raise ValidationError({"file": ["The file has no rows to import."]})
    with audit_context(actor=actor, reason=f"CSV import of {len(entries)} cost entries"):
        created = CostEntry.objects.bulk_create(entries)
        project_inputs_changed(project.pk)
    return created


@transaction.atomic
def invoice_create(*, actor, project: Project, **fields) -> Invoice:
    _require_editor(actor, project, "records invoices")
    with audit_context(actor=actor, reason="Invoice recorded"):
        invoice = Invoice(project=project, **fields)
        invoice.full_clean()
        invoice.save()
    return invoice


# --- Change requests -----------------------------------------------------------------


@transaction.atomic
def change_request_create(*, actor, project: Project, **fields) -> ChangeRequest:
    """A PM drafts a change request (not visible to the client until submitted)."""
    _require_editor(actor, project, "drafts change requests")
    moved = list(fields.pop("moved_milestones", None) or [])
    if any(m.project_id != project.pk for m in moved):
        raise ValidationError({"moved_milestones": ["Choose milestones of this project."]})
    if any(m.actual_date is not None for m in moved):
        raise ValidationError({"moved_milestones": ["A completed milestone cannot be moved."]})
    with audit_context(actor=actor, reason="Change request drafted"):
        number = (ChangeRequest.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
        change = ChangeRequest(project=project, number=number, created_by=actor, **fields)
        change.full_clean()
        change.save()
        change.moved_milestones.set(moved)
    return change


def change_request_moves(change: ChangeRequest, milestones) -> list[tuple[Milestone, dt.date]]:
    """The milestones (of ``milestones``) that approving ``change`` moves, each with its new forecast.

    The one rule (``projects.schedule_change``) that approval applies, the signer's page shows and the
    what-if computes.
    """
    if not change.schedule_impact_days:
        return []
    selected = change.moved_milestone_ids()
    return [
        (
            m,
            moved_forecast(
                baseline_date=m.baseline_date, forecast_date=m.forecast_date, days=change.schedule_impact_days
            ),
        )
        for m in milestones
        if moves_with_change(
            milestone_id=m.pk,
            baseline_date=m.baseline_date,
            forecast_date=m.forecast_date,
            actual_date=m.actual_date,
            selected=selected,
        )
    ]


def _locked_change(change: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update().select_related("project").get(pk=change.pk)


def _require_status(change: ChangeRequest, *allowed: str, action: str) -> None:
    if change.status not in allowed:
        raise ValidationError(
            {"status": [f"Cannot {action} a change request that is {change.get_status_display().lower()}."]}
        )


@transaction.atomic
def change_request_submit(*, actor, change: ChangeRequest) -> ChangeRequest:
    """Send the request to the client: approvers are notified."""
    change = _locked_change(change)
    _require_editor(actor, change.project, "submits change requests")
    _require_status(change, ChangeRequestStatus.DRAFT, action="submit")
    with audit_context(actor=actor, reason="Change request submitted to the client"):
        change.status = ChangeRequestStatus.SUBMITTED
        change.submitted_at = timezone.now()
        change.version += 1
        change.save(update_fields=["status", "submitted_at", "version"])
        notify(
            recipients=client_approvers(change.project),
            kind="change_request_submitted",
            project=change.project,
            text=f"{change.project.code}: change request CR-{change.number} “{change.title}” awaits your decision.",
            url=f"/change-requests/{change.pk}/",
        )
        project_inputs_changed(change.project_id)
    return change


@transaction.atomic
def change_request_withdraw(*, actor, change: ChangeRequest, reason: str = "") -> ChangeRequest:
    change = _locked_change(change)
    _require_editor(actor, change.project, "withdraws change requests")
    _require_status(change, ChangeRequestStatus.DRAFT, ChangeRequestStatus.SUBMITTED, action="withdraw")
    with audit_context(actor=actor, reason=reason or "Change request withdrawn"):
        change.status = ChangeRequestStatus.WITHDRAWN
        change.version += 1
        change.save(update_fields=["status", "version"])
        project_inputs_changed(change.project_id)
    return change


def apply_approved_change(change: ChangeRequest) -> None:
    """Approval applies the change: budget += cost impact; the target date and the milestones it moves shift.

    Which milestones move, and from which date, is ``change_request_moves`` (the rule the signer was shown).
    """
    delta = dt.timedelta(days=change.schedule_impact_days)
    project = Project.objects.select_for_update().get(pk=change.project_id)
    moves = change_request_moves(change, Milestone.objects.filter(project_id=change.project_id).order_by("sequence"))
    new_target = project.target_date + delta if project.target_date else None
    if not all(date_in_range(d) for d in [new_target, *(after for _, after in moves)]):
        raise ValidationError(
            {"schedule_impact_days": [f"Approval would move dates outside {EARLIEST_DATE:%Y}–{LATEST_DATE:%Y}."]}
        )
    Project.objects.filter(pk=change.project_id).update(
        budget=F("budget") + change.cost_impact, target_date=new_target, version=F("version") + 1
    )
    for milestone, after in moves:
        milestone.forecast_date = after
        milestone.version += 1
    Milestone.objects.bulk_update([m for m, _ in moves], ["forecast_date", "version"])


@transaction.atomic
def change_request_decide(
    *, actor, change: ChangeRequest, password: str, approve: bool, meaning: str | None = None, comment: str = ""
) -> Signature:
    """A client approver approves (and so applies) or rejects a submitted change request, with an e-signature."""
    change = _locked_change(change)
    if not access.can_sign_for_client(actor, change.project):
        raise PermissionDenied("Only an approver of the project's client decides change requests.")
    _require_status(change, ChangeRequestStatus.SUBMITTED, action="approve" if approve else "reject")
    meaning = meaning or (SignatureMeaning.APPROVAL if approve else SignatureMeaning.REJECTION)
    expected = SignatureMeaning.APPROVAL if approve else SignatureMeaning.REJECTION
    if meaning != expected:
        raise ValidationError({"meaning": [f"The signature's meaning for this action is “{expected}”."]})
    verb = "approved" if approve else "rejected"
    with audit_context(actor=actor, reason=comment.strip() or f"Change request CR-{change.number} {verb}"):
        signature = signature_sign(actor=actor, record=change, password=password, meaning=meaning)
        change.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
        change.decided_at = signature.signed_at
        change.decided_by = actor
        change.version += 1
        change.save(update_fields=["status", "decided_at", "decided_by", "version"])
        if approve:
            apply_approved_change(change)
        notify(
            recipients=project_staff(change.project),
            kind="change_request_decided",
            project=change.project,
            text=f"{change.project.code}: CR-{change.number} “{change.title}” was {verb} by {actor.display_name}.",
            url=f"/change-requests/{change.pk}/",
        )
        project_inputs_changed(change.project_id)
    return signature


# --- Quality ---------------------------------------------------------------------------


@transaction.atomic
def batch_create(*, actor, project: Project, **fields) -> Batch:
    _require_editor(actor, project, "records batches")
    with audit_context(actor=actor, reason=fields.pop("reason", "") or "Batch recorded"):
        batch = Batch(project=project, **fields)
        batch.full_clean()
        batch.save()
        project_inputs_changed(project.pk)
    return batch


@transaction.atomic
def batch_update(*, actor, batch: Batch, reason: str = "", **changes) -> Batch:
    _require_editor(actor, batch.project, "updates batches")
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
    _require_editor(actor, project, "records quality events")
    batch = fields.get("batch")
    if batch is not None and batch.project_id != project.pk:
        raise ValidationError({"batch": ["The batch belongs to another project."]})
    if batch is not None and fields.get("visibility", Visibility.INTERNAL) != Visibility.SHARED:
        # Part of the batch record the client's QP reviews (and it can change the batch's right-first-time):
        # an event on a client's batch is never internal (docs/decisions.md).
        raise ValidationError(
            {"visibility": ["An event on a batch is part of the client's batch record: make it shared."]}
        )
    if fields.get("due") and fields.get("opened") and fields["due"] < fields["opened"]:
        raise ValidationError({"due": ["The due date cannot be before the date the event was opened."]})
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
                text=f"{project.code}: critical {event.get_kind_display().lower()} {event.reference} — {event.title}.",
                url=f"/projects/{project.pk}/quality/",
            )
        project_inputs_changed(project.pk)
    return event


@transaction.atomic
def quality_event_close(*, actor, event: QualityEvent, closed: dt.date, reason: str = "") -> QualityEvent:
    _require_editor(actor, event.project, "closes quality events")
    if event.closed is not None:
        raise ValidationError({"closed": [f"Already closed on {event.closed:%d %b %Y}."]})
    if closed > timezone.localdate():
        raise ValidationError({"closed": ["The closing date cannot be in the future."]})
    with audit_context(actor=actor, reason=reason or "Quality event closed"):
        event.closed = closed
        event.full_clean()
        event.save(update_fields=["closed"])
        project_inputs_changed(event.project_id)
    return event


# --- Risks -----------------------------------------------------------------------------


def _check_risk_owner(project: Project, owner) -> None:
    if owner is not None and not (access.is_staff_user(owner) or owner.client_id == project.client_id):
        raise ValidationError({"owner": ["The owner must be CMO staff or a user of the project's client."]})


@transaction.atomic
def risk_create(*, actor, project: Project, **fields) -> Risk:
    _require_editor(actor, project, "records risks")
    _check_risk_owner(project, fields.get("owner"))
    with audit_context(actor=actor, reason=fields.pop("reason", "") or "Risk recorded"):
        risk = Risk(project=project, **fields)
        risk.full_clean()
        risk.save()
        project_inputs_changed(project.pk)
    return risk


@transaction.atomic
def risk_update(*, actor, risk: Risk, expected_version: int | None = None, reason: str = "", **changes) -> Risk:
    _require_editor(actor, risk.project, "updates risks")
    locked = Risk.objects.select_for_update().get(pk=risk.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked)
    if "owner" in changes:
        _check_risk_owner(locked.project, changes["owner"])
    with audit_context(actor=actor, reason=reason or "Risk updated"):
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.full_clean()
        locked.save()
        project_inputs_changed(locked.project_id)
    return locked


# --- Issues with the client inside -----------------------------------------------------


@transaction.atomic
def issue_raise(*, actor, project: Project, title: str, description: str = "", visibility: str = "shared") -> Issue:
    """Staff raise internal or shared issues; a client user raises a shared issue on their own project."""
    if access.is_client_user(actor):
        if project.client_id != actor.client_id:
            raise PermissionDenied("You can raise issues only on your own projects.")
        visibility = Visibility.SHARED
        waiting_on = "cmo"
    else:
        _require_editor(actor, project, "raises issues for the CMO")
        # A shared issue raised by the CMO asks the client for something; an internal one stays with the CMO.
        waiting_on = "client" if visibility == Visibility.SHARED else "cmo"
    with audit_context(actor=actor, reason="Issue raised"):
        issue = Issue(
            project=project,
            title=title,
            description=description,
            visibility=visibility,
            raised_by=actor,
            assigned_to=project.manager,
            waiting_on=waiting_on,
        )
        issue.full_clean()
        issue.save()
        if access.is_client_user(actor):
            notify(
                recipients=project_staff(project),
                kind="issue_raised",
                project=project,
                text=f"{project.code}: {actor.display_name} raised an issue — {title}.",
                url=f"/issues/{issue.pk}/",
            )
    return issue


@transaction.atomic
def issue_comment(*, actor, issue: Issue, body: str) -> IssueComment:
    """Comment on an issue: clients only on shared issues of their own projects; the first CMO reply is timed."""
    issue = Issue.objects.select_for_update().select_related("project").get(pk=issue.pk)
    if not (body or "").strip():
        raise ValidationError({"body": ["Write a comment."]})
    client_side = access.is_client_user(actor)
    if client_side:
        if issue.project.client_id != actor.client_id or issue.visibility != Visibility.SHARED:
            raise PermissionDenied("Client users comment only on issues shared with them.")
    elif not access.is_staff_user(actor) or actor.role == "leadership":
        raise PermissionDenied("Only the CMO's project managers and administrators comment for the CMO.")
    with audit_context(actor=actor, reason="Comment added"):
        comment = IssueComment.objects.create(issue=issue, author=actor, body=body.strip())
        updates = {"waiting_on": "cmo" if client_side else "client"}
        if not client_side and issue.first_response_at is None and issue.raised_by_id != actor.pk:
            updates["first_response_at"] = comment.created
        Issue.objects.filter(pk=issue.pk).update(**updates)
        if issue.visibility == Visibility.SHARED:
            recipients = project_staff(issue.project) if client_side else client_users(issue.project)
            notify(
                recipients=[u for u in recipients if u.pk != actor.pk],
                kind="issue_comment",
                project=issue.project,
                text=f"{issue.project.code}: {actor.display_name} commented on “{issue.title}”.",
                url=f"/issues/{issue.pk}/",
            )
    return comment


@transaction.atomic
def issue_resolve(*, actor, issue: Issue, resolution: str) -> Issue:
    """The PM records the resolution (shared issues: the client sees it and is notified)."""
    _require_editor(actor, issue.project, "resolves issues")
    if not (resolution or "").strip():
        raise ValidationError({"resolution": ["Describe the resolution."]})
    if issue.status == IssueStatus.RESOLVED:
        raise ValidationError({"status": ["The issue is already resolved."]})
    with audit_context(actor=actor, reason="Issue resolved"):
        issue.status = IssueStatus.RESOLVED
        issue.resolution = resolution.strip()
        issue.resolved_at = timezone.now()
        issue.first_response_at = issue.first_response_at or issue.resolved_at
        issue.waiting_on = "cmo"
        issue.save(update_fields=["status", "resolution", "resolved_at", "first_response_at", "waiting_on"])
        if issue.visibility == Visibility.SHARED:
            notify(
                recipients=client_users(issue.project),
                kind="issue_resolved",
                project=issue.project,
                text=f"{issue.project.code}: “{issue.title}” was resolved.",
                url=f"/issues/{issue.pk}/",
            )
    return issue
