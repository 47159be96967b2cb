"""Reads for projects: always start from ``for_user``; fixed query counts per page."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Prefetch, Subquery
from django.utils import timezone

from clients import access
from projects import extensions
from projects.models import (
    Baseline,
    BaselineItem,
    BaselineStatus,
    ChecklistItem,
    Milestone,
    MilestoneDependency,
    Project,
    Signature,
)


def count_per_project(queryset) -> Subquery:
    """A correlated COUNT of ``queryset``'s rows belonging to the outer project; NULL when there are none."""
    queryset = queryset.filter(project=OuterRef("pk"))
    return Subquery(queryset.order_by().values("project").annotate(n=Count("pk")).values("n")[:1])


def project_list(*, user, today: dt.date | None = None, mine: bool = False):
    """Projects in scope, annotated with the next open milestone, the overdue count and the latest scores.

    Overdue first, then by next due date. One query whatever the portfolio size.
    """
    today = today or timezone.localdate()
    milestones = Milestone.objects.for_user(user).filter(project=OuterRef("pk"), actual_date__isnull=True)
    next_open = milestones.order_by("forecast_date", "sequence")
    projects = (
        Project.objects.for_user(user)
        .select_related("client", "manager")
        .annotate(
            next_milestone_name=Subquery(next_open.values("name")[:1]),
            next_milestone_date=Subquery(next_open.values("forecast_date")[:1]),
            **extensions.merged(extensions.PROJECT_LIST_ANNOTATIONS, user),
            overdue_count=count_per_project(milestones.filter(forecast_date__lt=today)),
        )
        .order_by(F("overdue_count").desc(nulls_last=True), F("next_milestone_date").asc(nulls_last=True), "code")
    )
    if mine:
        projects = projects.filter(manager=user)
    return projects


def project_get(*, user, pk: int) -> Project:
    """One project in scope, or ``Project.DoesNotExist`` (callers answer 404)."""
    return Project.objects.for_user(user).select_related("client", "manager").get(pk=pk)


@dataclass
class MilestoneRow:
    milestone: Milestone
    predecessors: list[Milestone] = field(default_factory=list)
    at_risk_because: str = ""

    @property
    def late(self) -> bool:
        return self.milestone.slip_days > 0


@dataclass
class ProjectPage:
    project: Project
    rows: list[MilestoneRow]
    baselines: list[Baseline]
    pending_baseline: Baseline | None
    can_edit: bool
    can_sign: bool
    is_staff: bool


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
                row.at_risk_because = f"{pred.name} is {pred.slip_days} days late"
                break
            if pred_row.at_risk_because:
                row.at_risk_because = f"{pred.name} is at risk"
                break
    return rows


def project_page(*, user, pk: int) -> ProjectPage:
    """Everything the project page shows, in a fixed number of queries."""
    project = project_get(user=user, pk=pk)
    milestones = list(
        Milestone.objects.for_user(user)
        .filter(project=project)
        .prefetch_related(Prefetch("checklist", queryset=ChecklistItem.objects.select_related("done_by")))
        .order_by("sequence")
    )
    links = list(MilestoneDependency.objects.filter(successor__project=project))
    baselines = list(
        Baseline.objects.for_user(user).filter(project=project).select_related("created_by").order_by("-number")
    )
    pending = next((b for b in baselines if b.status == BaselineStatus.PROPOSED), None)
    return ProjectPage(
        project=project,
        rows=milestone_rows(milestones, links),
        baselines=baselines,
        pending_baseline=pending,
        can_edit=access.can_edit_project(user, project),
        can_sign=access.can_sign_for_client(user, project),
        is_staff=access.is_staff_user(user),
    )


def milestone_get(*, user, pk: int) -> Milestone:
    return Milestone.objects.for_user(user).select_related("project", "project__client").get(pk=pk)


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


def baseline_comparison(*, user, baseline: Baseline) -> list[BaselineComparisonRow]:
    """Per milestone: the baseline's date against today's forecast (or actual), slip in days."""
    current = {
        m.pk: m for m in Milestone.objects.for_user(user).filter(project_id=baseline.project_id).order_by("sequence")
    }
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


def signatures_for(*, user, record) -> list[Signature]:
    from django.contrib.contenttypes.models import ContentType

    return list(
        Signature.objects.for_user(user)
        .filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
        .select_related("signer")
    )


def baselines_awaiting_signature(*, user) -> list[Baseline]:
    """Proposed re-baselines in scope, oldest first, for the client's "awaiting you" list. One query."""
    return list(
        Baseline.objects.for_user(user)
        .filter(status=BaselineStatus.PROPOSED)
        .select_related("project")
        .order_by("created_at", "pk")
    )
