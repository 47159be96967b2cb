"""Reads for scores: set-based input fetching for many projects, what-if, snapshots in scope."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from clients import access
from metrics import scoring
from metrics.scores.models import ScoreLens, ScoreSnapshot, ScoringPolicy, lens_for
from metrics.surveys.selectors import scoring_satisfaction_inputs
from projects.models import (
    Baseline,
    Batch,
    BatchOutcome,
    ChangeRequest,
    ChangeRequestStatus,
    CostEntry,
    Milestone,
    Project,
    QualityEvent,
    QualityEventKind,
    Risk,
    RiskStatus,
    Severity,
    Visibility,
)

ZERO = Decimal(0)


def scoring_inputs(
    project_ids: list[int], *, as_of: dt.date | None = None, lens: str = ScoreLens.CMO
) -> dict[int, scoring.ProjectInputs]:
    """The pure scoring inputs of many projects in a fixed number of queries (no per-project query).

    ``lens="client"`` reads only what the project's client may see: client-visible milestones, shared
    risks and quality events, no internal cost (docs/decisions.md, "A client's score is the client lens").
    Internal function: callers scope the ids first (tasks: all active projects; pages: ``for_user``).
    """
    as_of = as_of or timezone.localdate()
    client_lens = lens == ScoreLens.CLIENT
    shared = Q(visibility=Visibility.SHARED) if client_lens else Q()
    projects = list(
        Project.objects.filter(pk__in=project_ids).values(
            "pk", "budget", "tradeoff_time", "tradeoff_scope", "tradeoff_quality", "tradeoff_cost"
        )
    )
    ids = [p["pk"] for p in projects]
    original_budget = dict(Baseline.objects.filter(project_id__in=ids, number=1).values_list("project_id", "budget"))
    actual_cost = (
        {}
        if client_lens
        else dict(
            CostEntry.objects.filter(project_id__in=ids, date__lte=as_of)
            .values("project_id")
            .annotate(total=Sum("amount"))
            .values_list("project_id", "total")
        )
    )
    milestones: dict[int, list[scoring.MilestoneInput]] = defaultdict(list)
    for m in (
        Milestone.objects.filter(project_id__in=ids, **({"client_visible": True} if client_lens else {}))
        .order_by("project_id", "sequence")
        .values("pk", "project_id", "weight", "percent_complete", "baseline_date", "forecast_date", "actual_date")
    ):
        milestones[m["project_id"]].append(
            scoring.MilestoneInput(
                milestone_id=m["pk"],
                weight=m["weight"],
                percent_complete=m["percent_complete"],
                baseline_date=m["baseline_date"],
                forecast_date=m["forecast_date"],
                actual_date=m["actual_date"],
            )
        )
    scope_percent: dict[int, Decimal] = defaultdict(lambda: ZERO)
    approved_cost: dict[int, Decimal] = defaultdict(lambda: ZERO)
    pending: dict[int, int] = defaultdict(int)
    quality_impacts: dict[int, list[str]] = defaultdict(list)
    for cr in (
        ChangeRequest.objects.filter(
            project_id__in=ids, status__in=[ChangeRequestStatus.APPROVED, ChangeRequestStatus.SUBMITTED]
        )
        .values("project_id", "status", "scope_impact_percent", "quality_impact", "cost_impact")
        .order_by("project_id", "number")
    ):
        if cr["status"] == ChangeRequestStatus.SUBMITTED:
            pending[cr["project_id"]] += 1
        else:
            scope_percent[cr["project_id"]] += cr["scope_impact_percent"]
            approved_cost[cr["project_id"]] += cr["cost_impact"]
            if cr["quality_impact"] != "none":
                quality_impacts[cr["project_id"]].append(cr["quality_impact"])
    batches = {
        row["project_id"]: row
        for row in Batch.objects.filter(project_id__in=ids)
        .exclude(outcome=BatchOutcome.PENDING)
        .values("project_id")
        .annotate(total=Count("pk"), rft=Count("pk", filter=Q(right_first_time=True, outcome=BatchOutcome.RELEASED)))
    }
    open_events = QualityEvent.objects.filter(shared, project_id__in=ids, closed__isnull=True)
    deviation_kinds = [QualityEventKind.DEVIATION, QualityEventKind.OOS]
    quality = {
        row["project_id"]: row
        for row in open_events.values("project_id").annotate(
            minor=Count("pk", filter=Q(kind__in=deviation_kinds, severity=Severity.MINOR)),
            major=Count("pk", filter=Q(kind__in=deviation_kinds, severity=Severity.MAJOR)),
            critical=Count("pk", filter=Q(kind__in=deviation_kinds, severity=Severity.CRITICAL)),
            overdue_capas=Count("pk", filter=Q(kind=QualityEventKind.CAPA, due__lt=as_of)),
        )
    }
    exposures: dict[int, list[int]] = defaultdict(list)
    for project_id, probability, impact in (
        Risk.objects.filter(shared, project_id__in=ids, status=RiskStatus.OPEN)
        .order_by("project_id", "pk")
        .values_list("project_id", "probability", "impact")
    ):
        exposures[project_id].append(probability * impact)
    satisfaction = scoring_satisfaction_inputs(ids, as_of)

    inputs = {}
    for p in projects:
        pid = p["pk"]
        b = batches.get(pid, {})
        q = quality.get(pid, {})
        s = satisfaction.get(pid, {})
        inputs[pid] = scoring.ProjectInputs(
            project_id=pid,
            as_of=as_of,
            budget=p["budget"],
            # Before the first baseline, the original budget is today's less the approved changes.
            original_budget=original_budget.get(pid, p["budget"] - approved_cost[pid]),
            actual_cost=actual_cost.get(pid) or ZERO,
            milestones=tuple(milestones[pid]),
            tradeoff=scoring.TradeoffMatrix(
                time=p["tradeoff_time"],
                scope=p["tradeoff_scope"],
                quality=p["tradeoff_quality"],
                cost=p["tradeoff_cost"],
            ),
            approved_scope_change_percent=scope_percent[pid],
            pending_change_requests=pending[pid],
            approved_quality_impacts=tuple(quality_impacts[pid]),
            batches_total=b.get("total", 0),
            batches_right_first_time=b.get("rft", 0),
            open_deviations_minor=q.get("minor", 0),
            open_deviations_major=q.get("major", 0),
            open_deviations_critical=q.get("critical", 0),
            overdue_capas=q.get("overdue_capas", 0),
            csat_latest=s.get("csat"),
            nps=s.get("nps"),
            nps_previous=s.get("nps_previous"),
            open_risk_exposures=tuple(exposures[pid]),
            cost_visible=not client_lens,
        )
    return inputs


def current_policy() -> ScoringPolicy:
    return ScoringPolicy.objects.current()


def change_from_request(change: ChangeRequest) -> scoring.HypotheticalChange:
    return scoring.HypotheticalChange(
        schedule_impact_days=change.schedule_impact_days,
        cost_impact=change.cost_impact,
        scope_impact_percent=change.scope_impact_percent,
        quality_impact=change.quality_impact,
        moved_milestone_ids=change.moved_milestone_ids(),
    )


def what_if(
    *,
    project: Project,
    change: scoring.HypotheticalChange,
    was_pending: bool = False,
    as_of: dt.date | None = None,
    lens: str = ScoreLens.CMO,
) -> tuple[scoring.ScoreResult, scoring.ScoreResult]:
    """Scores before and after a hypothetical change, computed from today's data through ``lens``; writes nothing."""
    inputs = scoring_inputs([project.pk], as_of=as_of, lens=lens)[project.pk]
    return scoring.what_if(inputs, change, current_policy().as_policy(), was_pending=was_pending)


DIMENSION_LABELS = {
    "time": "Time",
    "cost": "Cost",
    "scope": "Scope",
    "quality": "Quality",
    "satisfaction": "Satisfaction",
    "risk_register": "Risk register",
}


COST_FIGURES = (
    "actual_cost",
    "cost_variance",
    "cost_performance_index",
    "estimate_at_completion",
    "estimate_to_complete",
    "variance_at_completion",
    "to_complete_performance_index",
)


def visible_result(user, result: dict) -> dict:
    """A score result as ``user`` may see it: client users never see internal cost figures (AC, CPI, EAC…).

    Client users read client-lens results (computed without internal records); this is the second fence.

    Each factor also gets its dimension's display ``label``.
    """
    result = dict(result)
    result["factors"] = [
        f | {"label": DIMENSION_LABELS.get(f["constraint"], f["constraint"])} for f in result["factors"]
    ]
    if access.can_see_internal(user):
        return result
    safe = dict(result)
    safe["earned_value"] = {k: v for k, v in result.get("earned_value", {}).items() if k not in COST_FIGURES}
    # Client-lens results carry no internal cost; a full result that reached here would, so its words go.
    safe["factors"] = [
        (
            f | {"figure": "", "text": "Cost performance is tracked by the CMO against the agreed budget."}
            if f["constraint"] == "cost" and "CPI" in f.get("figure", "")
            else f
        )
        for f in result.get("factors", [])
    ]
    return safe


def latest_snapshots(*, user):
    """The newest snapshot of every project in the user's scope (one query)."""
    return ScoreSnapshot.objects.for_user(user).latest_per_project().select_related("project", "project__client")


def snapshot_history(*, user, project: Project, limit: int = 200):
    return ScoreSnapshot.objects.for_user(user).filter(project=project).order_by("-bucket")[:limit]


def what_if_view(user, before: scoring.ScoreResult, after: scoring.ScoreResult) -> dict:
    """Before/after in the shape the what-if partial shows, with internal figures removed for clients."""
    b, a = visible_result(user, before.to_dict()), visible_result(user, after.to_dict())
    rows = [
        {
            "dimension": DIMENSION_LABELS[d],
            "before": Decimal(b["stress"][d]),
            "after": Decimal(a["stress"][d]),
            "delta": Decimal(a["stress"][d]) - Decimal(b["stress"][d]),
        }
        for d in scoring.DIMENSIONS
    ]
    return {
        "before": b,
        "after": a,
        "rows": rows,
        "risk_delta": after.risk_score - before.risk_score,
        "tradeoff_delta": after.tradeoff_score - before.tradeoff_score,
        "after_factors": a["factors"][:3],
    }


def change_request_what_if(*, user, change: ChangeRequest) -> dict:
    """What approving this change request would do to the project's scores (nothing is written)."""
    before, after = what_if(
        project=change.project,
        change=change_from_request(change),
        was_pending=change.status == ChangeRequestStatus.SUBMITTED,
        lens=lens_for(user),
    )
    return what_if_view(user, before, after)
