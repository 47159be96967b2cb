"""Reads for the project itself (list, page): always start from ``for_user``; fixed query counts per page."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Prefetch, Subquery
from django.utils import timezone

from clients import access
from projects import extensions
from projects.baselines.models import Baseline, BaselineStatus
from projects.milestones.models import ChecklistItem, Milestone, MilestoneDependency
from projects.milestones.selectors import MilestoneRow, milestone_rows
from projects.records import Project, project_get


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


@dataclass
class ProjectPage:
    project: Project
    rows: list[MilestoneRow]
    baselines: list[Baseline]
    pending_baseline: Baseline | None
    can_edit: bool
    can_sign: bool
    is_staff: bool


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
        Baseline.objects.for_user(user)
        .filter(project=project)
        .select_related("created_by", "project")
        .prefetch_related("items")
        .order_by("-number")
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
