"""A new project and its milestones from a plan, in one transaction under one reason (all or nothing)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients import access
from projects import services as project_services
from projects.milestones import services as milestone_services
from projects.milestones.models import Milestone
from projects.milestones.plan_import import PlanPreview
from projects.records import Project, require

#: The project fields a plan import sets (the project-create form's, with the service type in place of a template).
PROJECT_FIELDS = (
    "client",
    "code",
    "name",
    "product",
    "service_type",
    "start_date",
    "target_date",
    "budget",
    "contract_value",
    "currency",
)


def plan_dates(plan: PlanPreview) -> tuple[dt.date | None, dt.date | None]:
    """The plan's first day and last day: over all its tasks (an MS Project summary task's start included), else
    over the milestones imported; (None, None) without either."""
    if plan.first_day is not None and plan.last_day is not None:
        return plan.first_day, plan.last_day
    if not plan.rows:
        return None, None
    return min(row.start or row.finish for row in plan.rows), max(row.finish for row in plan.rows)


def with_plan_dates(fields: dict, plan: PlanPreview) -> dict:
    """``fields`` with an empty start date set to the plan's first day and an empty target date to its last finish
    (no earlier than the start); a target before the start is refused."""
    fields = dict(fields)
    first, last = plan_dates(plan)
    if fields.get("start_date") is None:
        fields["start_date"] = first
    start = fields["start_date"]
    if fields.get("target_date") is None and start is not None:
        fields["target_date"] = max(last or start, start)
    target = fields.get("target_date")
    if start is not None and target is not None and target < start:
        raise ValidationError(
            {
                "target_date": [
                    _("The target date cannot be before the start date (%(start)s).") % {"start": f"{start:%Y-%m-%d}"}
                ]
            }
        )
    return fields


def project_from_plan_check(*, actor, plan: PlanPreview, **fields) -> Project:
    """What ``project_create_from_plan`` would refuse about the project, found without writing: the role, the
    dates, then the project's own checks (``full_clean``: a code already used, dates outside the range). Returns
    the unsaved project (the preview shows it)."""
    _require_creator(actor)
    project = Project(**with_plan_dates(fields, plan))
    if project.manager_id is None and access.is_project_manager(actor):
        project.manager = actor
    project.full_clean()
    return project


@transaction.atomic
def project_create_from_plan(*, actor, plan: PlanPreview, reason: str, **fields) -> tuple[Project, list[Milestone]]:
    """Create the project (``projects.services.project_create``, without a template) and the plan's milestones and
    dependencies (``milestones_import_plan``) in one transaction: a refusal of either creates nothing. ``reason``
    goes to the audit trail of the project and of every milestone and dependency. Empty dates come from the plan
    (``with_plan_dates``)."""
    _require_creator(actor)
    reason = milestone_services.plan_import_reason(plan, reason)
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field is not set by a plan import.")] for name in sorted(unknown)})
    fields = with_plan_dates(fields, plan)
    project = project_services.project_create(actor=actor, reason=reason, **fields)
    milestones = milestone_services.milestones_import_plan(actor=actor, project=project, plan=plan, reason=reason)
    return project, milestones


def _require_creator(actor) -> None:
    require(access.can_create_project(actor), _("Only project managers and administrators create projects."))
