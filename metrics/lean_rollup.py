"""The nightly Lean roll-up, client KPI targets, and the reads of the Lean portfolio report.

The roll-up fetches the rows of many projects at once (a fixed number of queries per batch of
projects), ``metrics.lean`` computes each project's counters per quarter, and the result replaces
the project's ``LeanSnapshot`` rows. Reports add the stored counters up in SQL for any grouping.
Definitions: docs/lean.md.
"""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from clients import access
from clients.models import CLIENT_ROLES, Client, Role, User
from core.audit import audit_context
from metrics import lean
from metrics.locks import LEAN_ROLLUP_LOCK, try_xact_lock
from metrics.models import ClientKpiTarget, KpiMetric, KpiStatus, LeanSnapshot, ScoreLens, SurveyResponse
from metrics.quarters import previous_quarter, quarter_label, quarter_of, recent_quarters
from metrics.satisfaction import GROUPINGS, csat_mean, group_label, portfolio_projects
from projects.models import (
    Batch,
    ChangeRequest,
    Issue,
    IssueComment,
    Milestone,
    Project,
    ProjectStatus,
    Visibility,
)
from projects.notifications import notify

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


# --- Fetch ------------------------------------------------------------------------------------


def fetch_lean_data(project_ids: list[int], *, lens: str = ScoreLens.CMO) -> dict[int, lean.LeanProjectData]:
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
        milestones[pid].append(lean.LeanMilestone(**row))
    batches = defaultdict(list)
    for row in Batch.objects.filter(project_id__in=ids).values(
        "project_id", "planned_date", "actual_date", "outcome", "right_first_time"
    ):
        pid = row.pop("project_id")
        batches[pid].append(lean.LeanBatch(**row))
    changes = defaultdict(list)
    for row in ChangeRequest.objects.filter(project_id__in=ids, submitted_at__isnull=False).values(
        "project_id", "created_at", "submitted_at", "decided_at", "status"
    ):
        pid = row.pop("project_id")
        changes[pid].append(lean.LeanChangeRequest(**row))
    comments = defaultdict(list)
    for issue_id, created, role in (
        IssueComment.objects.filter(issue__project_id__in=ids, issue__visibility=Visibility.SHARED)
        .order_by("issue_id", "created", "pk")
        .values_list("issue_id", "created", "author__role")
    ):
        comments[issue_id].append(lean.LeanComment(created=created, by_client=role in CLIENT_ROLES))
    issues = defaultdict(list)
    for row in Issue.objects.filter(project_id__in=ids, visibility=Visibility.SHARED).values(
        "pk", "project_id", "opened_at", "first_response_at", "resolved_at"
    ):
        issues[row["project_id"]].append(
            lean.LeanIssue(
                opened_at=row["opened_at"],
                first_response_at=row["first_response_at"],
                resolved_at=row["resolved_at"],
                comments=tuple(comments[row["pk"]]),
            )
        )
    return {
        pid: lean.LeanProjectData(
            project_id=pid,
            start_date=start,
            milestones=tuple(sorted(milestones[pid], key=lambda m: m.sequence)),
            batches=tuple(batches[pid]),
            change_requests=tuple(changes[pid]),
            issues=tuple(issues[pid]),
        )
        for pid, start in projects.items()
    }


# --- Roll-up (nightly) ---------------------------------------------------------------------------


def lean_rollup_refresh(*, now: dt.datetime | None = None) -> int | None:
    """Recompute every project's Lean counters per quarter, replace the stored rows, then evaluate the
    clients' KPI targets. Returns the number of rows written; None if another run holds the lock.
    """
    now = now or timezone.now()
    written = 0
    with transaction.atomic(), audit_context(channel="task", reason="Lean roll-up"):
        if not try_xact_lock(LEAN_ROLLUP_LOCK):
            logger.info("Another Lean roll-up holds the lock; skipping.")
            return None
        ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            rows = []
            for lens in ScoreLens.values:  # staff reports (every milestone) and the client's agreed KPIs
                for pid, data in fetch_lean_data(chunk, lens=lens).items():
                    for quarter, totals in lean.project_quarter_totals(data, now=now).items():
                        values = {name: getattr(totals, name) for name in lean.TOTAL_FIELDS}
                        rows.append(LeanSnapshot(project_id=pid, lens=lens, quarter=quarter, computed_at=now, **values))
            LeanSnapshot.objects.filter(project_id__in=chunk).delete()
            LeanSnapshot.objects.bulk_create(rows)
            written += len(rows)
        kpi_targets_evaluate(now=now)
    return written


# --- Reports -----------------------------------------------------------------------------------------


def _sums():
    return {name: Sum(name) for name in lean.TOTAL_FIELDS}


_EMPTY = lean.LeanTotals()


def _totals(row: dict) -> lean.LeanTotals:
    """Counters of a ``Sum()`` row (a SUM over no rows is NULL: zero)."""
    return lean.LeanTotals(
        **{name: getattr(_EMPTY, name) if row.get(name) is None else row[name] for name in lean.TOTAL_FIELDS}
    )


@dataclass
class LeanRow:
    key: object
    label: str
    totals: lean.LeanTotals
    previous: lean.LeanTotals
    projects: int = 0

    @property
    def figures(self) -> lean.LeanFigures:
        return lean.lean_figures(self.totals)

    @property
    def trends(self) -> dict[str, lean.Trend]:
        return lean.lean_trends(self.figures, lean.lean_figures(self.previous))

    @property
    def cells(self) -> list[lean.Trend]:
        trends = self.trends
        return [trends[key] for key in lean.METRIC_KEYS]


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
    current: dict[object, tuple[str, lean.LeanTotals, int]] = {}
    previous: dict[object, lean.LeanTotals] = {}
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
        rows.append(LeanRow(key=key, label=label, totals=totals, previous=before or lean.LeanTotals(), projects=count))
    if by == "quarter":
        rows.sort(key=lambda r: r.key, reverse=True)
    else:
        rows.sort(key=lambda r: str(r.label).lower())
    return rows


def portfolio_total(rows: list[LeanRow]) -> LeanRow:
    return LeanRow(
        key=None,
        label="Portfolio",
        totals=lean.total_of([r.totals for r in rows]),
        previous=lean.total_of([r.previous for r in rows]),
        projects=sum(r.projects for r in rows),
    )


@dataclass
class ProjectLean:
    project: Project
    phases: list[lean.PhaseCycle]
    quarters: list[tuple[str, lean.LeanFigures]]


def lean_project_detail(*, user, project_id: int, now: dt.datetime | None = None) -> ProjectLean:
    """One project's phases (cycle time against the template) and its figures per quarter, live.

    Staff only; ``Project.DoesNotExist`` outside the user's portfolio.
    """
    if not access.can_view_portfolio(user):
        raise Project.DoesNotExist
    project = portfolio_projects(Project.objects.for_user(user), user, project_path="").get(pk=project_id)
    data = fetch_lean_data([project.pk])[project.pk]
    per_quarter = lean.project_quarter_totals(data, now=now or timezone.now())
    return ProjectLean(
        project=project,
        phases=lean.phase_cycles(data),
        quarters=[(quarter_label(q), lean.lean_figures(t)) for q, t in sorted(per_quarter.items(), reverse=True)],
    )


# --- Client KPI targets ----------------------------------------------------------------------------------

KPI_LOWER_IS_BETTER = {KpiMetric.ISSUE_RESPONSE_HOURS}
KPI_FIGURE = {
    KpiMetric.OTIF: "otif_rate",
    KpiMetric.RIGHT_FIRST_TIME: "right_first_time_rate",
    KpiMetric.ON_TIME_MILESTONES: "on_time_milestone_rate",
    KpiMetric.ISSUE_RESPONSE_HOURS: "mean_issue_response_hours",
}
KPI_RANGES = {
    KpiMetric.OTIF: (Decimal(0), Decimal(100)),
    KpiMetric.RIGHT_FIRST_TIME: (Decimal(0), Decimal(100)),
    KpiMetric.ON_TIME_MILESTONES: (Decimal(0), Decimal(100)),
    KpiMetric.ISSUE_RESPONSE_HOURS: (Decimal("0.1"), Decimal(10000)),
    KpiMetric.CSAT: (Decimal(1), Decimal(5)),
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
        figures = lean.lean_figures(_totals(row))
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


def _evaluate(targets: list[ClientKpiTarget], now: dt.datetime) -> list[ClientKpiTarget]:
    """Set each target's status and value; notify the clients' PMs and leadership of a new breach
    (once per target and quarter). Returns the targets newly breached.
    """
    quarter = quarter_of(now)
    values = client_kpi_values(sorted({t.client_id for t in targets}), quarter)
    newly_breached = []
    for target in targets:
        target.value = values.get(target.client_id, {}).get(target.metric)
        target.status = kpi_status(target.metric, target.target, target.value)
        target.evaluated_at = now
        if target.status == KpiStatus.BREACHED and target.breach_notified_quarter != quarter:
            target.breach_notified_quarter = quarter
            newly_breached.append(target)
    ClientKpiTarget.objects.bulk_update(targets, ["value", "status", "evaluated_at", "breach_notified_quarter"])
    if newly_breached:
        leadership = list(User.objects.filter(role=Role.LEADERSHIP, is_active=True))
        managers: dict[int, set[User]] = defaultdict(set)
        for project in Project.objects.filter(
            client_id__in={t.client_id for t in newly_breached}, status=ProjectStatus.ACTIVE, manager__is_active=True
        ).select_related("manager"):
            managers[project.client_id].add(project.manager)
        for target in newly_breached:
            notify(
                recipients=[*managers[target.client_id], *leadership],
                kind="kpi_target_breached",
                project=None,
                text=f"{target.client.name}: {target.get_metric_display()} is {target.value} in "
                f"{quarter_label(quarter)}, against an agreed target of {kpi_comparison(target.metric)} "
                f"{target.target}.",
                url="/portfolio/kpi-targets/",
            )
    return newly_breached


def kpi_targets_evaluate(*, now: dt.datetime | None = None) -> list[ClientKpiTarget]:
    """Evaluate every active target of active clients (run by the nightly roll-up)."""
    targets = list(ClientKpiTarget.objects.filter(active=True, client__active=True).select_related("client"))
    return _evaluate(targets, now or timezone.now()) if targets else []


can_manage_kpi_targets = access.can_lead


@transaction.atomic
def kpi_target_set(*, actor, client: Client, metric: str, target, active: bool = True) -> ClientKpiTarget:
    """Leadership records a target agreed with the client (one per client and metric); evaluated at once."""
    if not can_manage_kpi_targets(actor):
        raise PermissionDenied("Only leadership and administrators record client KPI targets.")
    if metric not in KpiMetric.values:
        raise ValidationError({"metric": [f"Choose one of {', '.join(KpiMetric.values)}."]})
    try:
        value = Decimal(str(target))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({"target": ["Give a number."]}) from error
    low, high = KPI_RANGES[KpiMetric(metric)]
    if not (value.is_finite() and low <= value <= high):
        raise ValidationError({"target": [f"Give a number from {low} to {high}."]})
    with audit_context(actor=actor, reason="Client KPI target recorded"):
        record, _ = ClientKpiTarget.objects.update_or_create(
            client=client, metric=metric, defaults={"target": value, "active": active, "created_by": actor}
        )
        if active:
            _evaluate([ClientKpiTarget.objects.select_related("client").get(pk=record.pk)], timezone.now())
    record.refresh_from_db()
    return record


def kpi_targets(*, user):
    """Targets in scope: a client user sees their own client's; staff see all (one query)."""
    return (
        ClientKpiTarget.objects.for_user(user)
        .filter(active=True)
        .select_related("client")
        .order_by("client__name", "metric")
    )
