"""Writes for projects: validate, write, audit, enqueue follow-up work on commit."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clients import access
from projects.models import Project

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
def project_create(*, actor, **fields) -> Project:
    """Create a project (PMs and admins)."""
    if not access.can_create_project(actor):
        raise PermissionDenied("Only project managers and administrators create projects.")
    project = Project(**fields)
    if project.manager_id is None and actor.role == "project_manager":
        project.manager = actor
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_update(*, actor, project: Project, expected_version: int | None = None, **changes) -> Project:
    """Update a project's plain fields; ``expected_version`` guards against lost updates."""
    if not access.can_edit_project(actor, project):
        raise PermissionDenied("Only the project's manager or an administrator edits it.")
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked)
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: ["This field cannot be changed here."] for field in sorted(unknown)})
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.version += 1
    locked.full_clean()
    locked.save()
    return locked


class StaleVersion(Exception):
    """Raised when a record changed since the caller read it (optimistic locking)."""

    def __init__(self, *, current):
        super().__init__("The record was changed by someone else since you loaded it.")
        self.current = current
