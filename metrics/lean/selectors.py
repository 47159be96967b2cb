"""Reads of Lean figures: the roll-up's set-based fetch, the portfolio report, a project's detail, KPI targets.

The fetch reads the rows of many projects at once (a fixed number of queries per batch of projects);
``metrics.lean.counters`` turns them into counters per quarter. Reports add the stored counters up in SQL
for any grouping. Definitions: docs/lean.md.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext

from clients import access
from clients.models import CLIENT_ROLES
from metrics.groupings import GROUPINGS, group_label, portfolio_projects
from metrics.lean import counters, measures
from metrics.lean.models import ClientKpiTarget, KpiMetric, KpiStatus, LeanSnapshot
from metrics.quarters import previous_quarter, quarter_label, recent_quarters
from metrics.scores.models import ScoreLens
from metrics.surveys.models import SurveyResponse
from metrics.surveys.satisfaction import csat_mean
from projects.models import Batch, ChangeRequest, Issue, IssueComment, Milestone, Project, Visibility


def fetch_lean_data(project_ids: list[int], *, lens: str = ScoreLens.CMO) -> dict[int, counters.LeanProjectData]:
    """The Lean inputs of many projects in six queries (internal: callers scope the ids).

    ``lens="client"`` counts only client-visible milestones: the client's agreed KPIs measure what the
    client sees (batches, submitted change requests and shared issues are the client's in both lenses).
    """
    projects = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "start_date"))
    ids = list(projects)
    milestones = defaultdict(list)
    visible = {"client_visible": True} if lens == ScoreLens.CLIENT else {}
    for row in Milestone.objects.filter(project_id__in=ids, **visible).values(
        "project_id", "sequence", "name", "baseline_date", "actual_date", "duration_days", "value_adding"
    ):
        pid = row.pop("project_id")
        milestones[pid].append(counters.LeanMilestone(**row))
    batches = defaultdict(list)
    for row in Batch.objects.filter(project_id__in=ids).values(
        "project_id", "planned_date", "actual_date", "outcome", "right_first_time"
    ):
        pid = row.pop("project_id")
        batches[pid].append(counters.LeanBatch(**row))
    changes = defaultdict(list)
    for row in ChangeRequest.objects.filter(project_id__in=ids, submitted_at__isnull=False).values(
        "project_id", "created_at", "submitted_at", "decided_at", "status"
    ):
        pid = row.pop("project_id")
        changes[pid].append(counters.LeanChangeRequest(**row))
    comments = defaultdict(list)
    for issue_id, created, role in (
        IssueComment.objects.filter(issue__project_id__in=ids, issue__visibility=Visibility.SHARED)
        .order_by("issue_id", "created", "pk")
        .values_list("issue_id", "created", "author__role")
    ):
        comments[issue_id].append(counters.LeanComment(created=created, by_client=role in CLIENT_ROLES))
    issues = defaultdict(list)
    for row in Issue.objects.filter(project_id__in=ids, visibility=Visibility.SHARED).values(
        "pk", "project_id", "opened_at", "first_response_at", "resolved_at"
    ):
        issues[row["project_id"]].append(
            counters.LeanIssue(
                opened_at=row["opened_at"],
                first_response_at=row["first_response_at"],
                resolved_at=row["resolved_at"],
                comments=tuple(comments[row["pk"]]),
            )
        )
    return {
        pid: counters.LeanProjectData(
            project_id=pid,
            start_date=start,
            milestones=tuple(sorted(milestones[pid], key=lambda m: m.sequence)),
            batches=tuple(batches[pid]),
            change_requests=tuple(changes[pid]),
            issues=tuple(issues[pid]),
        )
        for pid, start in projects.items()
    }


def _sums():
    return {name: Sum(name) for name in counters.TOTAL_FIELDS}


_EMPTY = counters.LeanTotals()


def _totals(row: dict) -> counters.LeanTotals:
    """Counters of a ``Sum()`` row (a SUM over no rows is NULL: zero)."""
    return counters.LeanTotals(
        **{name: getattr(_EMPTY, name) if row.get(name) is None else row[name] for name in counters.TOTAL_FIELDS}
    )


@dataclass
class LeanRow:
    key: object
    label: str
    totals: counters.LeanTotals
    previous: counters.LeanTotals
    projects: int = 0

    @property
    def figures(self) -> measures.LeanFigures:
        return measures.lean_figures(self.totals)

    @property
    def trends(self) -> dict[str, measures.Trend]:
        return measures.lean_trends(self.figures, measures.lean_figures(self.previous))

    @property
    def cells(self) -> list[measures.Trend]:
        trends = self.trends
        return [trends[key] for key in measures.METRIC_KEYS]


def lean_portfolio(*, user, by: str, quarter: dt.date, quarters_shown: int = 8) -> list[LeanRow]:
    """Lean figures of the user's portfolio for ``quarter`` grouped by client, project, PM or service type,
    each with the previous quarter for the trend; ``by="quarter"`` gives the last ``quarters_shown``.

    CMO staff only (``LeanSnapshot.for_user``); a PM sees the projects they manage. One query.
    """
    keys = GROUPINGS[by]
    periods = recent_quarters(quarter, quarters_shown) if by == "quarter" else [quarter]
    wanted = [previous_quarter(periods[0]), *periods]
    snapshots = portfolio_projects(LeanSnapshot.objects.for_user(user), user).filter(
        quarter__in=wanted, lens=ScoreLens.CMO
    )
    current: dict[object, tuple[str, counters.LeanTotals, int]] = {}
    previous: dict[object, counters.LeanTotals] = {}
    for row in (
        snapshots.values(*keys, "quarter").annotate(**_sums(), projects=Count("project_id", distinct=True)).order_by()
    ):
        key, label = group_label(by, row)
        if row["quarter"] in periods:
            current[key] = (label, _totals(row), row["projects"])
        else:
            previous[key] = _totals(row)
    rows = []
    for key, (label, totals, count) in current.items():
        if by == "quarter":
            before = current.get(previous_quarter(key), (None, None, 0))[1] or previous.get(previous_quarter(key))
        else:
            before = previous.get(key)
        rows.append(
            LeanRow(key=key, label=label, totals=totals, previous=before or counters.LeanTotals(), projects=count)
        )
    if by == "quarter":
        rows.sort(key=lambda r: r.key, reverse=True)
    else:
        rows.sort(key=lambda r: str(r.label).lower())
    return rows


def metrics_shown() -> list[measures.MetricDefinition]:
    """The Lean measures with their label, unit and definition in the active language (``measures`` is pure)."""
    return [
        replace(m, label=gettext(m.label), unit=gettext(m.unit), definition=gettext(m.definition))
        for m in measures.METRICS
    ]


def portfolio_total(rows: list[LeanRow]) -> LeanRow:
    return LeanRow(
        key=None,
        label=gettext("Portfolio"),
        totals=counters.total_of([r.totals for r in rows]),
        previous=counters.total_of([r.previous for r in rows]),
        projects=sum(r.projects for r in rows),
    )


@dataclass
class ProjectLean:
    project: Project
    phases: list[counters.PhaseCycle]
    quarters: list[tuple[str, measures.LeanFigures]]


def lean_project_detail(*, user, project_id: int, now: dt.datetime | None = None) -> ProjectLean:
    """One project's phases (cycle time against the template) and its figures per quarter, live.

    Staff only; ``Project.DoesNotExist`` outside the user's portfolio.
    """
    if not access.can_view_portfolio(user):
        raise Project.DoesNotExist
    project = portfolio_projects(Project.objects.for_user(user), user, project_path="").get(pk=project_id)
    data = fetch_lean_data([project.pk])[project.pk]
    per_quarter = counters.project_quarter_totals(data, now=now or timezone.now())
    return ProjectLean(
        project=project,
        phases=counters.phase_cycles(data),
        quarters=[(quarter_label(q), measures.lean_figures(t)) for q, t in sorted(per_quarter.items(), reverse=True)],
    )


KPI_LOWER_IS_BETTER = {KpiMetric.ISSUE_RESPONSE_HOURS}

KPI_FIGURE = {
    KpiMetric.OTIF: "otif_rate",
    KpiMetric.RIGHT_FIRST_TIME: "right_first_time_rate",
    KpiMetric.ON_TIME_MILESTONES: "on_time_milestone_rate",
    KpiMetric.ISSUE_RESPONSE_HOURS: "mean_issue_response_hours",
}


def kpi_comparison(metric: str) -> str:
    return "≤" if metric in KPI_LOWER_IS_BETTER else "≥"


def kpi_status(metric: str, target: Decimal, value: Decimal | None) -> str:
    """Met or breached against the target (≥ for rates and CSAT, ≤ for response hours)."""
    if value is None:
        return KpiStatus.NO_DATA
    met = value <= target if metric in KPI_LOWER_IS_BETTER else value >= target
    return KpiStatus.MET if met else KpiStatus.BREACHED


def client_kpi_values(client_ids: list[int], quarter: dt.date) -> dict[int, dict[str, Decimal | None]]:
    """Each client's KPI figures for the quarter to date, from the roll-up and the survey answers (two queries)."""
    values: dict[int, dict[str, Decimal | None]] = defaultdict(dict)
    for row in (
        LeanSnapshot.objects.filter(project__client_id__in=client_ids, quarter=quarter, lens=ScoreLens.CLIENT)
        .values("project__client_id")
        .annotate(**_sums())
        .order_by()
    ):
        figures = measures.lean_figures(_totals(row))
        for metric, figure in KPI_FIGURE.items():
            values[row["project__client_id"]][metric] = getattr(figures, figure)
    for row in (
        SurveyResponse.objects.filter(project__client_id__in=client_ids, quarter=quarter)
        .values("project__client_id")
        .annotate(n=Count("pk"), total=Sum("csat_overall"))
        .order_by()
    ):
        values[row["project__client_id"]][KpiMetric.CSAT] = csat_mean(total=row["total"] or 0, responses=row["n"])
    return values


def kpi_targets(*, user):
    """Targets in scope: a client user sees their own client's; staff see all (one query)."""
    return (
        ClientKpiTarget.objects.for_user(user)
        .filter(active=True)
        .select_related("client")
        .order_by("client__name", "metric")
    )
