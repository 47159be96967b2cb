"""Writes for the project itself: create (from a template), update, start.

Every function validates, writes inside one transaction with the audit context
(actor, reason), and enqueues follow-up work with ``transaction.on_commit``.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from core.audit import audit_context
from core.concurrency import StaleVersion
from projects.baselines.models import Baseline, BaselineStatus
from projects.baselines.services import snapshot_baseline
from projects.milestones.models import ChecklistItem, Milestone, MilestoneDependency
from projects.plan_templates.models import ProjectTemplate
from projects.records import Project, ProjectStatus, project_inputs_changed, require

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


@transaction.atomic
def project_create(*, actor, template: ProjectTemplate | None = None, **fields) -> Project:
    """Create a project (PMs and admins); with a template, its milestones and checklists too."""
    require(access.can_create_project(actor), _("Only project managers and administrators create projects."))
    with audit_context(actor=actor, reason=fields.pop("reason", None) or "Project created"):
        project = Project(**fields)
        if project.manager_id is None and access.is_project_manager(actor):
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
    require(access.can_edit_project(actor, project), _("Only the project's manager or an administrator edits it."))
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked)
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
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
    require(access.can_edit_project(actor, project), _("Only the project's manager or an administrator starts it."))
    if project.baselines.exists():
        raise ValidationError({"status": [_("The project has already started (it has a baseline).")]})
    with audit_context(actor=actor, reason="Project started; initial baseline"):
        Project.objects.filter(pk=project.pk).update(status=ProjectStatus.ACTIVE, version=project.version + 1)
        baseline = snapshot_baseline(project, actor=actor, reason="Initial baseline at project start", initial=True)
        baseline.status = BaselineStatus.APPROVED
        baseline.decided_at = timezone.now()
        baseline.save(update_fields=["status", "decided_at"])
        project_inputs_changed(project.pk)
    project.refresh_from_db()
    return baseline
