"""Change requests: draft, submit, withdraw, decide (with an e-signature) and apply what approval moves."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from clients import access
from core import events
from core.audit import audit_context
from core.input_ranges import EARLIEST_DATE, LATEST_DATE, MAX_MONEY, budget_in_range, date_in_range
from core.phrases import phrase
from projects.change_requests.models import ChangeRequest, ChangeRequestStatus
from projects.milestones.models import Milestone
from projects.notifications.services import client_approvers, notify, project_staff
from projects.records import Project, in_sentence, project_inputs_changed, require_editor
from projects.schedule_change import moved_forecast, moves_with_change
from projects.signatures.models import Signature, SignatureMeaning
from projects.signatures.services import records_failed_signatures, signature_sign


@transaction.atomic
def change_request_create(*, actor, project: Project, **fields) -> ChangeRequest:
    """A PM drafts a change request (not visible to the client until submitted)."""
    require_editor(actor, project, "drafts change requests")
    moved = list(fields.pop("moved_milestones", None) or [])
    if any(m.project_id != project.pk for m in moved):
        raise ValidationError({"moved_milestones": [_("Choose milestones of this project.")]})
    if any(m.actual_date is not None for m in moved):
        raise ValidationError({"moved_milestones": [_("A completed milestone cannot be moved.")]})
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


#: What ``_require_status`` says for each action, with the request's status (``%(status)s``).
REFUSED_ACTIONS = {
    "submit": gettext_lazy("Cannot submit a change request that is %(status)s."),
    "withdraw": gettext_lazy("Cannot withdraw a change request that is %(status)s."),
    "approve": gettext_lazy("Cannot approve a change request that is %(status)s."),
    "reject": gettext_lazy("Cannot reject a change request that is %(status)s."),
}


def _require_status(change: ChangeRequest, *allowed: str, action: str) -> None:
    if change.status not in allowed:
        raise ValidationError(
            {"status": [REFUSED_ACTIONS[action] % {"status": in_sentence(change.get_status_display())}]}
        )


@transaction.atomic
def change_request_submit(*, actor, change: ChangeRequest) -> ChangeRequest:
    """Send the request to the client: approvers are notified."""
    change = _locked_change(change)
    require_editor(actor, change.project, "submits change requests")
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
            text=phrase(
                gettext_noop("%(code)s: change request CR-%(number)s “%(title)s” awaits your decision."),
                code=change.project.code,
                number=str(change.number),
                title=change.title,
            ),
            url=f"/change-requests/{change.pk}/",
        )
        project_inputs_changed(change.project_id)
        events.publish(events.CHANGE_REQUEST_SUBMITTED, project_id=change.project_id, record_id=change.pk)
    return change


@transaction.atomic
def change_request_withdraw(*, actor, change: ChangeRequest, reason: str = "") -> ChangeRequest:
    change = _locked_change(change)
    require_editor(actor, change.project, "withdraws change requests")
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
    if not all(date_in_range(d) for d in [new_target, *(after for _milestone, after in moves)]):
        raise ValidationError(
            {
                "schedule_impact_days": [
                    _("Approval would move dates outside %(earliest)s–%(latest)s.")
                    % {"earliest": f"{EARLIEST_DATE:%Y}", "latest": f"{LATEST_DATE:%Y}"}
                ]
            }
        )
    if new_target is not None and new_target < project.start_date:
        raise ValidationError(
            {
                "schedule_impact_days": [
                    _("Approval would move the target date before the start (%(start)s).")
                    % {"start": project.start_date}
                ]
            }
        )
    new_budget = project.budget + change.cost_impact
    if not budget_in_range(new_budget):
        raise ValidationError(
            {
                "cost_impact": [
                    _("Approval would make the budget %(budget)s, outside 0–%(max)s.")
                    % {
                        "budget": number_format(new_budget, 2, force_grouping=True),
                        "max": number_format(MAX_MONEY, 2, force_grouping=True),
                    }
                ]
            }
        )
    Project.objects.filter(pk=change.project_id).update(
        budget=new_budget, target_date=new_target, version=F("version") + 1
    )
    slipped = []
    for milestone, after in moves:
        if milestone.forecast_date is not None and after > milestone.forecast_date and milestone.actual_date is None:
            slipped.append((milestone.pk, milestone.forecast_date))
        milestone.forecast_date = after
        milestone.version += 1
    Milestone.objects.bulk_update([m for m, _after in moves], ["forecast_date", "version"])
    for milestone_id, before in slipped:
        events.publish(
            events.MILESTONE_SLIPPED,
            project_id=change.project_id,
            record_id=milestone_id,
            previous_forecast_date=before.isoformat(),
        )


@records_failed_signatures
@transaction.atomic
def change_request_decide(
    *, actor, change: ChangeRequest, password: str, approve: bool, meaning: str | None = None, comment: str = ""
) -> Signature:
    """A client approver approves (and so applies) or rejects a submitted change request, with an e-signature."""
    change = _locked_change(change)
    if not access.can_sign_for_client(actor, change.project):
        raise PermissionDenied(_("Only an approver of the project's client decides change requests."))
    _require_status(change, ChangeRequestStatus.SUBMITTED, action="approve" if approve else "reject")
    meaning = meaning or (SignatureMeaning.APPROVAL if approve else SignatureMeaning.REJECTION)
    expected = SignatureMeaning.APPROVAL if approve else SignatureMeaning.REJECTION
    if meaning != expected:
        raise ValidationError(
            {"meaning": [_("The signature's meaning for this action is “%(meaning)s”.") % {"meaning": expected}]}
        )
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
            text=phrase(
                gettext_noop("%(code)s: CR-%(number)s “%(title)s” was approved by %(name)s.")
                if approve
                else gettext_noop("%(code)s: CR-%(number)s “%(title)s” was rejected by %(name)s."),
                code=change.project.code,
                number=str(change.number),
                title=change.title,
                name=actor.display_name,
            ),
            url=f"/change-requests/{change.pk}/",
        )
        project_inputs_changed(change.project_id)
        events.publish(events.CHANGE_REQUEST_DECIDED, project_id=change.project_id, record_id=change.pk)
    return signature
