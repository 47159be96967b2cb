"""Reads for baselines: what a user may see of one, the comparison with today's plan, the proposal to sign."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from clients import access
from projects.baselines.models import Baseline, BaselineItem, BaselineStatus
from projects.milestones.models import Milestone


def baseline_items(*, user, baseline: Baseline) -> list[BaselineItem]:
    """The baseline's items ``user`` may see: client users only those client-visible when baselined.

    Uses the prefetched ``items`` when there are any (no query per baseline).
    """
    items = list(baseline.items.all())
    if access.can_see_internal(user):
        return items
    return [item for item in items if item.client_visible]


@dataclass
class BaselineComparisonRow:
    name: str
    baseline_date: dt.date | None
    current_date: dt.date | None
    slip_days: int | None


def baseline_comparison(*, user, baseline: Baseline, milestones=None) -> list[BaselineComparisonRow]:
    """Per milestone: the baseline's date against today's forecast (or actual), slip in days.

    ``milestones``: the project's milestones ``user`` may see, when the caller has them already (no query).
    """
    if milestones is None:
        milestones = Milestone.objects.for_user(user).filter(project_id=baseline.project_id)
    current = {m.pk: m for m in milestones}
    rows = []
    for item in baseline_items(user=user, baseline=baseline):
        milestone = current.get(item.milestone_id)
        if milestone is None:
            continue  # deleted since, or not visible to this user
        now = milestone.actual_date or milestone.forecast_date
        slip = (now - item.date).days if now and item.date else None
        rows.append(BaselineComparisonRow(item.milestone_name, item.date, now, slip))
    return rows


@dataclass
class ProposalRow:
    name: str
    approved_date: dt.date | None
    proposed_date: dt.date | None

    @property
    def shift_days(self) -> int | None:
        if self.approved_date and self.proposed_date:
            return (self.proposed_date - self.approved_date).days
        return None


def baseline_proposal(*, user, baseline: Baseline) -> list[ProposalRow]:
    """For a signer: each visible milestone's approved baseline date against the proposed one."""
    current = {m.pk: m for m in Milestone.objects.for_user(user).filter(project_id=baseline.project_id)}
    return [
        ProposalRow(item.milestone_name, current[item.milestone_id].baseline_date, item.date)
        for item in baseline_items(user=user, baseline=baseline)
        if item.milestone_id in current
    ]


def baseline_get(*, user, pk: int) -> Baseline:
    return (
        Baseline.objects.for_user(user)
        .select_related("project", "project__client", "created_by")
        .prefetch_related("items")
        .get(pk=pk)
    )


def baselines_awaiting_signature(*, user) -> list[Baseline]:
    """Proposed re-baselines in scope, oldest first, for the client's "awaiting you" list. One query."""
    return list(
        Baseline.objects.for_user(user)
        .filter(status=BaselineStatus.PROPOSED)
        .select_related("project")
        .order_by("created_at", "pk")
    )


def baselines_in_force_manifest(*, user, project_ids) -> dict[int, str]:
    """Per project, the baseline in force (latest approved) with its signatures manifested for reports and exports:
    "Baseline 3: Approval by Jane Doe at 2026-11-03 14:02 UTC", each signature's verdict checked as on every
    display. A fixed number of queries whatever the number of projects."""
    from projects.signatures.selectors import signatures_of_records
    from projects.signatures.services import VALID, signature_verdict, verdict_text

    baselines = list(
        Baseline.objects.for_user(user)
        .filter(project_id__in=list(project_ids), status=BaselineStatus.APPROVED)
        .order_by("project_id", "-number")
        .distinct("project_id")
        .select_related("project")
        .prefetch_related("items")
    )
    signatures = signatures_of_records(user=user, records=baselines)
    manifest = {}
    for baseline in baselines:
        signed = []
        for signature in signatures.get(baseline.pk, []):
            verdict = signature_verdict(signature, baseline)
            signed.append(str(signature) + ("" if verdict == VALID else f" [{verdict_text(verdict)}]"))
        manifest[baseline.project_id] = _("Baseline %(number)s: %(signatures)s") % {
            "number": baseline.number,
            "signatures": "; ".join(signed) or _("not signed"),
        }
    return manifest
