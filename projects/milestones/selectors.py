"""Reads for milestones: the rows of the project page with their "at risk" reason, one milestone in scope."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects.milestones.models import Milestone, MilestoneDependency


@dataclass
class MilestoneRow:
    milestone: Milestone
    predecessors: list[Milestone] = field(default_factory=list)
    at_risk_because: str = ""

    @property
    def late(self) -> bool:
        return self.milestone.slip_days > 0


def milestone_rows(milestones: list[Milestone], links: list[MilestoneDependency]) -> list[MilestoneRow]:
    """Milestones in sequence with their predecessors and an "at risk" reason when a predecessor slips.

    A milestone is at risk when it is open and any predecessor (directly or through
    another at-risk milestone) is late against its baseline.
    """
    by_id = {m.pk: MilestoneRow(m) for m in milestones}
    for link in links:
        if link.successor_id in by_id and link.predecessor_id in by_id:
            by_id[link.successor_id].predecessors.append(by_id[link.predecessor_id].milestone)
    rows = sorted(by_id.values(), key=lambda r: r.milestone.sequence)
    for row in rows:  # sequence order: predecessors come first
        if row.milestone.is_complete:
            continue
        for pred in row.predecessors:
            pred_row = by_id[pred.pk]
            if pred.slip_days > 0 and not pred.is_complete:
                row.at_risk_because = ngettext(
                    "%(name)s is %(days)s day late", "%(name)s is %(days)s days late", pred.slip_days
                ) % {"name": pred.name, "days": pred.slip_days}
                break
            if pred_row.at_risk_because:
                row.at_risk_because = _("%(name)s is at risk") % {"name": pred.name}
                break
    return rows


def milestone_get(*, user, pk: int) -> Milestone:
    return Milestone.objects.for_user(user).select_related("project", "project__client").get(pk=pk)
