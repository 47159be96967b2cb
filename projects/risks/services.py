"""Writes for the risk register."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients import access
from core.audit import audit_context
from core.concurrency import StaleVersion
from projects.records import Project, project_inputs_changed, require_editor
from projects.risks.models import Risk


def _check_risk_owner(project: Project, owner) -> None:
    if owner is not None and not (access.is_staff_user(owner) or owner.client_id == project.client_id):
        raise ValidationError({"owner": [_("The owner must be CMO staff or a user of the project's client.")]})


@transaction.atomic
def risk_create(*, actor, project: Project, **fields) -> Risk:
    require_editor(actor, project, "records risks")
    _check_risk_owner(project, fields.get("owner"))
    with audit_context(actor=actor, reason=fields.pop("reason", "") or "Risk recorded"):
        risk = Risk(project=project, **fields)
        risk.full_clean()
        risk.save()
        project_inputs_changed(project.pk)
    return risk


@transaction.atomic
def risk_update(*, actor, risk: Risk, expected_version: int | None = None, reason: str = "", **changes) -> Risk:
    require_editor(actor, risk.project, "updates risks")
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
