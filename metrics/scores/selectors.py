"""Reads for scores: set-based input fetching for many projects, what-if, snapshots in scope."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from itertools import groupby, starmap
from operator import itemgetter

from django.db.models import Count, DecimalField, FilteredRelation, OuterRef, Q, Subquery, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from clients import access
from core import phrases
from metrics import scoring
from metrics.scores.models import CurrentScore, ScoreLens, ScoreSnapshot, ScoringPolicy, lens_for
from metrics.surveys.models import SurveyResponse
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

#: Every model whose rows ``scoring_inputs`` reads. A project none of whose rows in these tables changed keeps its
#: scores for the day (the scheduled run carries them forward); ``tests/metrics/test_incremental_recompute.py``
#: fails when ``scoring_inputs`` reads a table missing here.
SCORING_INPUT_MODELS = (
    Project,
    Baseline,
    CostEntry,
    Milestone,
    ChangeRequest,
    Batch,
    QualityEvent,
    Risk,
    SurveyResponse,
)


def pghistory_event_table(model) -> str:
    """The audit event table of an ``@audited`` model (pghistory's ``<Model>Event``)."""
    from django.apps import apps

    return apps.get_model(model._meta.app_label, f"{model.__name__}Event")._meta.db_table


def scoring_inputs(
    project_ids: list[int], *, as_of: dt.date | None = None, lens: str = ScoreLens.CMO
) -> dict[int, scoring.ProjectInputs]:
    """The pure scoring inputs of many projects in a fixed number of queries (no per-project query).

    ``lens="client"`` reads only what the project's client may see: client-visible milestones, shared
    risks and quality events, no internal cost (docs/decisions.md, "A client's score is the client lens").
    Internal function: callers scope the ids first (tasks: all active projects; pages: ``for_user``).

    Rows are read as tuples (``values_list``): a full recompute reads 30 milestones per project and lens.
    """
    as_of = as_of or timezone.localdate()
    client_lens = lens == ScoreLens.CLIENT
    shared = Q(visibility=Visibility.SHARED) if client_lens else Q()
    decided_batches = Batch.objects.exclude(outcome=BatchOutcome.PENDING)
    open_events = QualityEvent.objects.filter(shared, closed__isnull=True)
    open_deviations = open_events.filter(kind__in=[QualityEventKind.DEVIATION, QualityEventKind.OOS])
    # One row per project with its per-project figures (correlated subqueries), instead of one query each.
    projects = list(
        Project.objects.filter(pk__in=project_ids)
        .annotate(
            original_budget=Subquery(Baseline.objects.filter(project_id=OuterRef("pk"), number=1).values("budget")),
            actual_cost=Value(None, output_field=DecimalField())
            if client_lens
            else _per_project(CostEntry.objects.filter(date__lte=as_of), Sum("amount")),
            batches_total=_per_project(decided_batches, Count("pk")),
            batches_rft=_per_project(
                decided_batches.filter(right_first_time=True, outcome=BatchOutcome.RELEASED), Count("pk")
            ),
            deviations_minor=_per_project(open_deviations.filter(severity=Severity.MINOR), Count("pk")),
            deviations_major=_per_project(open_deviations.filter(severity=Severity.MAJOR), Count("pk")),
            deviations_critical=_per_project(open_deviations.filter(severity=Severity.CRITICAL), Count("pk")),
            overdue_capas=_per_project(open_events.filter(kind=QualityEventKind.CAPA, due__lt=as_of), Count("pk")),
        )
        .values_list(
            "pk",
            "budget",
            "tradeoff_time",
            "tradeoff_scope",
            "tradeoff_quality",
            "tradeoff_cost",
            "original_budget",
            "actual_cost",
            "batches_total",
            "batches_rft",
            "deviations_minor",
            "deviations_major",
            "deviations_critical",
            "overdue_capas",
        )
    )
    ids = [p[0] for p in projects]
    milestones = _milestone_inputs(ids, client_lens)
    scope_percent: dict[int, Decimal] = defaultdict(lambda: ZERO)
    approved_cost: dict[int, Decimal] = defaultdict(lambda: ZERO)
    pending: dict[int, int] = defaultdict(int)
    quality_impacts: dict[int, list[str]] = defaultdict(list)
    for project_id, status, scope_impact_percent, quality_impact, cost_impact in (
        ChangeRequest.objects.filter(
            project_id__in=ids, status__in=[ChangeRequestStatus.APPROVED, ChangeRequestStatus.SUBMITTED]
        )
        .order_by("project_id", "number")
        .values_list("project_id", "status", "scope_impact_percent", "quality_impact", "cost_impact")
    ):
        if status == ChangeRequestStatus.SUBMITTED:
            pending[project_id] += 1
        else:
            scope_percent[project_id] += scope_impact_percent
            approved_cost[project_id] += cost_impact
            if quality_impact != "none":
                quality_impacts[project_id].append(quality_impact)
    exposures: dict[int, list[int]] = defaultdict(list)
    for project_id, probability, impact in (
        Risk.objects.filter(shared, project_id__in=ids, status=RiskStatus.OPEN)
        .order_by("project_id", "pk")
        .values_list("project_id", "probability", "impact")
    ):
        exposures[project_id].append(probability * impact)
    satisfaction = scoring_satisfaction_inputs(ids, as_of)

    inputs = {}
    no_satisfaction: dict = {}
    for (
        pid,
        budget,
        tradeoff_time,
        tradeoff_scope,
        tradeoff_quality,
        tradeoff_cost,
        original_budget,
        actual_cost,
        batches_total,
        batches_rft,
        minor,
        major,
        critical,
        overdue_capas,
    ) in projects:
        s = satisfaction.get(pid, no_satisfaction)
        inputs[pid] = scoring.ProjectInputs(
            project_id=pid,
            as_of=as_of,
            budget=budget,
            # Before the first baseline, the original budget is today's less the approved changes.
            original_budget=budget - approved_cost[pid] if original_budget is None else original_budget,
            actual_cost=actual_cost or ZERO,
            milestones=milestones.get(pid, ()),
            tradeoff=scoring.TradeoffMatrix(
                time=tradeoff_time, scope=tradeoff_scope, quality=tradeoff_quality, cost=tradeoff_cost
            ),
            approved_scope_change_percent=scope_percent[pid],
            pending_change_requests=pending[pid],
            approved_quality_impacts=tuple(quality_impacts[pid]),
            batches_total=batches_total or 0,
            batches_right_first_time=batches_rft or 0,
            open_deviations_minor=minor or 0,
            open_deviations_major=major or 0,
            open_deviations_critical=critical or 0,
            overdue_capas=overdue_capas or 0,
            csat_latest=s.get("csat"),
            nps=s.get("nps"),
            nps_previous=s.get("nps_previous"),
            open_risk_exposures=tuple(exposures[pid]),
            cost_visible=not client_lens,
        )
    return inputs


def _per_project(queryset, aggregate) -> Subquery:
    """``aggregate`` over the rows of ``queryset`` that belong to the outer query's project (NULL without rows)."""
    return Subquery(
        queryset.filter(project_id=OuterRef("pk"))
        .order_by()
        .values("project_id")
        .annotate(value=aggregate)
        .values("value")
    )


def _milestone_inputs(ids: list[int], client_lens: bool) -> dict[int, tuple[scoring.MilestoneInput, ...]]:
    """Per project, its milestones (client-visible ones only for the client lens) in sequence order."""
    rows = (
        Milestone.objects.filter(project_id__in=ids, **({"client_visible": True} if client_lens else {}))
        .order_by("project_id", "sequence")
        .values_list("project_id", "weight", "percent_complete", "baseline_date", "forecast_date", "actual_date", "pk")
    )
    return {
        project_id: tuple(starmap(scoring.MilestoneInput, (row[1:] for row in project_rows)))
        for project_id, project_rows in groupby(rows, key=itemgetter(0))
    }


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
    "time": pgettext_lazy("score dimension", "Time"),
    "cost": _("Cost"),
    "scope": _("Scope"),
    "quality": _("Quality"),
    "satisfaction": _("Satisfaction"),
    "risk_register": _("Risk register"),
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

#: What a client reads instead of a cost factor computed from internal figures.
COST_TRACKED_BY_CMO = gettext_noop("Cost performance is tracked by the CMO against the agreed budget.")


def shown_factor(factor: dict) -> dict:
    """A stored factor as its reader reads it: its figure and sentence written in the active language from its
    language-neutral ``words`` (a snapshot that predates them keeps its English ``figure`` and ``text``), and its
    dimension's ``label``. The ``words`` themselves are left out: pages and the API show words, not phrases."""
    words = factor.get("words") or {}
    shown = {key: value for key, value in factor.items() if key != "words"}
    shown["figure"] = phrases.render(words.get("figure"), factor.get("figure", ""))
    shown["text"] = phrases.render(words.get("text"), factor.get("text", ""))
    shown["label"] = str(DIMENSION_LABELS.get(factor["constraint"], factor["constraint"]))
    return shown


def visible_result(user, result: dict, *, internal: bool | None = None) -> dict:
    """A score result as ``user`` may see it, in the active language: client users never see internal cost
    figures (AC, CPI, EAC…).

    Client users read client-lens results (computed without internal records); this is the second fence.

    Each factor is written for its reader (``shown_factor``): figure and sentence in the active language, and its
    dimension's display ``label``.
    """
    result = dict(result)
    factors = result["factors"]
    if not (access.can_see_internal(user) if internal is None else internal):
        result["earned_value"] = {k: v for k, v in result.get("earned_value", {}).items() if k not in COST_FIGURES}
        # Client-lens results carry no internal cost; a full result that reached here would, so its words go.
        factors = [
            (
                f
                | {
                    "figure": "",
                    "text": COST_TRACKED_BY_CMO,
                    "words": {"figure": "", "text": {"msg": COST_TRACKED_BY_CMO}},
                }
                if f["constraint"] == "cost" and "CPI" in f.get("figure", "")
                else f
            )
            for f in factors
        ]
    result["factors"] = [shown_factor(f) for f in factors]
    return result


def current_score_join(user) -> dict:
    """Annotations joining each project's current score through the user's lens (``current_score``; at most
    one row per project and lens): one index join, never a scan of the score history."""
    return {"current_score": FilteredRelation("current_scores", condition=Q(current_scores__lens=lens_for(user)))}


def latest_scores(*, user):
    """The current score of every project in the user's scope and lens (``CurrentScore`` rows with their
    snapshot), sorted by project: counted and paginated on the small pointer table, never on the history."""
    return (
        CurrentScore.objects.for_user(user)
        .select_related("snapshot", "project", "project__client")
        .order_by("project_id")
    )


def snapshot_history(*, user, project: Project, limit: int = 200):
    return ScoreSnapshot.objects.for_user(user).filter(project=project).order_by("-bucket")[:limit]


def what_if_view(user, before: scoring.ScoreResult, after: scoring.ScoreResult) -> dict:
    """Before/after in the shape the what-if partial shows, with internal figures removed for clients."""
    b, a = visible_result(user, before.to_dict()), visible_result(user, after.to_dict())
    rows = [
        {
            "dimension": str(DIMENSION_LABELS[d]),
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
