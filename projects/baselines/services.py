"""Re-baselines: the PM proposes, a client approver signs; a re-baseline moves only milestones still ahead."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import access
from core.audit import audit_context
from core.phrases import phrase
from projects.baselines.models import Baseline, BaselineItem, BaselineStatus
from projects.milestones.models import Milestone
from projects.notifications.services import client_approvers, notify
from projects.records import Project, project_inputs_changed, require
from projects.signatures.models import Signature, SignatureMeaning
from projects.signatures.services import records_failed_signatures, signature_sign


def rebaseline_keeps(milestone: Milestone, *, today: dt.date) -> bool:
    """True when a re-baseline must keep this milestone's baseline date.

    A re-baseline re-plans the work still ahead. A milestone already completed, or already due
    (its baseline date has passed), was measured against the baseline in force when it was due:
    moving that date would turn late work into on-time work in OTD, slip and the risk score.
    """
    return milestone.actual_date is not None or (
        milestone.baseline_date is not None and milestone.baseline_date < today
    )


def snapshot_baseline(project: Project, *, actor, reason: str, initial: bool = False) -> Baseline:
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
    require(access.can_edit_project(actor, project), _("Only the project's manager or an administrator re-baselines."))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("A re-baseline needs a reason.")]})
    if project.baselines.filter(status=BaselineStatus.PROPOSED).exists():
        raise ValidationError({"project": [_("A re-baseline is already awaiting the client's signature.")]})
    with audit_context(actor=actor, reason=reason.strip()):
        baseline = snapshot_baseline(project, actor=actor, reason=reason.strip())
        notify(
            recipients=client_approvers(project),
            kind="baseline_proposed",
            project=project,
            text=phrase(
                gettext_noop("%(code)s: re-baseline %(number)s awaits your signature."),
                code=project.code,
                number=str(baseline.number),
            ),
            url=f"/baselines/{baseline.pk}/sign/",
        )
    return baseline


@records_failed_signatures
@transaction.atomic
def baseline_decide(*, actor, baseline: Baseline, password: str, approve: bool, comment: str = "") -> Signature:
    """A client approver signs the proposed re-baseline (approval applies its dates) or rejects it."""
    baseline = Baseline.objects.select_for_update().select_related("project").get(pk=baseline.pk)
    if not access.can_sign_for_client(actor, baseline.project):
        raise PermissionDenied(_("Only an approver of the project's client signs a re-baseline."))
    if baseline.status != BaselineStatus.PROPOSED:
        status = baseline.get_status_display().lower()  # approved or rejected: a participle in every language
        raise ValidationError({"status": [_("This baseline is already %(status)s.") % {"status": status}]})
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
