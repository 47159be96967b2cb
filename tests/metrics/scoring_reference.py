"""The score computation as it was before issue 13's optimisation (commit f172f9c), kept as the oracle.

Straightforward on purpose: ``test_recompute_equivalence`` checks that the optimised path (``metrics.scoring``,
``metrics.scores.selectors.scoring_inputs``, ``services._snapshot``) gives exactly what this gives, to the last
digit and exponent of every Decimal and to the letter of every factor's text. Do not optimise this module.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db.models import Count, Q, Sum
from django.utils import timezone

from metrics import scoring
from metrics.scores.models import ScoreLens, ScoreSnapshot
from metrics.scoring.arithmetic import CONTEXT, HUNDRED, INDEX_QUANTUM, MONEY_QUANTUM, ONE, SCORE_QUANTUM, ZERO
from metrics.scoring.inputs import DIMENSIONS, TRADEOFF_DIMENSIONS, Dimension, MilestoneInput, ProjectInputs, Rag
from metrics.scoring.policy import DEFAULT_POLICY, ScoringPolicy
from metrics.scoring.results import EarnedValue, Factor, ScoreResult, Stresses
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

STRESS_QUANTUM = Decimal("0.001")

# --- arithmetic and wording ---------------------------------------------------------------------------------


def clip(value: Decimal, low: Decimal = ZERO, high: Decimal = ONE) -> Decimal:
    return max(low, min(high, value))


def quantize(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def as_stress(value: Decimal) -> Decimal:
    return quantize(clip(value), STRESS_QUANTUM)


def either(*components: Decimal) -> Decimal:
    remaining = ONE
    for component in components:
        remaining *= ONE - clip(component)
    return ONE - remaining


def money(value: Decimal) -> str:
    return format(quantize(value, MONEY_QUANTUM), ",")


def number(value: Decimal, places: int) -> str:
    return format(quantize(value, Decimal(1).scaleb(-places)), "f")


def signed(value: Decimal, places: int) -> str:
    text = number(value, places)
    return text if text.startswith("-") else "+" + text


def plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def sentence(parts: list[str], *, on_plan: bool) -> str:
    body = "; ".join(parts)
    if on_plan:
        return f"On plan: {body}."
    return body[:1].upper() + body[1:] + "."


# --- earned value -----------------------------------------------------------------------------------------------


def milestone_weights(milestones: tuple[MilestoneInput, ...]) -> tuple[list[Decimal], Decimal]:
    weights = [max(ZERO, m.weight) for m in milestones]
    total = sum(weights, ZERO)
    if total == 0:
        weights = [ONE for _ in milestones]
        total = Decimal(len(milestones))
    return weights, total


def compute_earned_value(inputs: ProjectInputs) -> EarnedValue:
    with localcontext(CONTEXT):
        return _earned_value(inputs)


def _earned_value(inputs: ProjectInputs) -> EarnedValue:
    bac = quantize(inputs.budget, MONEY_QUANTUM)
    ac = quantize(inputs.actual_cost, MONEY_QUANTUM)
    milestones = inputs.milestones
    if milestones:
        weights, total = milestone_weights(milestones)
        due = sum(
            (
                w
                for w, m in zip(weights, milestones, strict=True)
                if m.baseline_date is not None and m.baseline_date <= inputs.as_of
            ),
            ZERO,
        )
        done = sum(
            (w * clip(m.percent_complete, ZERO, HUNDRED) for w, m in zip(weights, milestones, strict=True)),
            ZERO,
        )
        pv = quantize(bac * due / total, MONEY_QUANTUM)
        ev = quantize(bac * done / (HUNDRED * total), MONEY_QUANTUM)
    else:
        pv = ev = quantize(ZERO, MONEY_QUANTUM)

    spi = quantize(ev / pv, INDEX_QUANTUM) if pv > 0 else None
    if ac <= 0:
        cpi = None
        eac = bac  # no cost booked: nothing to extrapolate from
    elif ev <= 0:
        cpi = quantize(ZERO, INDEX_QUANTUM)
        eac = ac + bac - ev  # CPI = 0 makes BAC / CPI infinite; fall back to the atypical form AC + (BAC - EV)
    else:
        cpi = quantize(ev / ac, INDEX_QUANTUM)
        eac = quantize(bac * ac / ev, MONEY_QUANTUM)  # = BAC / CPI, without rounding CPI first
    tcpi = quantize((bac - ev) / (bac - ac), INDEX_QUANTUM) if bac - ac > 0 else None
    return EarnedValue(
        planned_value=pv,
        earned_value=ev,
        actual_cost=ac,
        schedule_variance=ev - pv,
        cost_variance=ev - ac,
        schedule_performance_index=spi,
        cost_performance_index=cpi,
        estimate_at_completion=eac,
        estimate_to_complete=eac - ac,
        variance_at_completion=bac - eac,
        to_complete_performance_index=tcpi,
        budget_at_completion=bac,
    )


# --- stress -----------------------------------------------------------------------------------------------------


def slip_days(milestone: MilestoneInput, as_of: dt.date) -> int:
    if milestone.baseline_date is None:
        return 0
    if milestone.actual_date is not None:
        end = milestone.actual_date
    else:
        forecast = milestone.forecast_date if milestone.forecast_date is not None else milestone.baseline_date
        end = max(forecast, as_of)
    return max(0, (end - milestone.baseline_date).days)


@dataclass(frozen=True)
class Assessment:
    stress: Decimal
    figure: str
    text: str


def assess_time(inputs: ProjectInputs, ev: EarnedValue, policy: ScoringPolicy) -> Assessment:
    milestones = inputs.milestones
    spi = ev.schedule_performance_index
    spi_text = f"SPI {number(spi, 2)}" if spi is not None else "SPI n/a (nothing planned to date)"
    if not milestones:
        return Assessment(as_stress(ZERO), "no milestones", "No milestones planned yet.")
    weights, total = milestone_weights(milestones)
    slips = [slip_days(m, inputs.as_of) for m in milestones]
    weighted_slip = sum((w * s for w, s in zip(weights, slips, strict=True)), ZERO) / total
    slip_component = clip(weighted_slip / policy.slip_days_for_full_stress)
    spi_component = clip((ONE - spi) / (ONE - policy.spi_floor)) if spi is not None else ZERO
    stress = as_stress(either(slip_component, spi_component))

    late = [s for s in slips if s > 0]
    if len(late) == 1:
        late_text = f"1 milestone late by {plural(late[0], 'day')}"
    elif late:
        average = number(Decimal(sum(late)) / len(late), 0)
        late_text = f"{len(late)} milestones late, {average} days on average (worst {max(late)})"
    else:
        late_text = "no milestones late"
    figure = f"SPI {number(spi, 2)}" if spi is not None else "SPI n/a"
    if late:
        figure += f", {len(late)} late"
    return Assessment(stress, figure, sentence([late_text, spi_text], on_plan=stress == 0))


def assess_cost(inputs: ProjectInputs, ev: EarnedValue, policy: ScoringPolicy) -> Assessment:
    cpi = ev.cost_performance_index if inputs.cost_visible else None
    cpi_component = clip((ONE - cpi) / (ONE - policy.cpi_floor)) if cpi is not None else ZERO
    growth = (inputs.budget - inputs.original_budget) / inputs.original_budget if inputs.original_budget > 0 else ZERO
    growth_component = clip(growth / policy.budget_growth_for_full_stress)
    stress = as_stress(either(cpi_component, growth_component))

    parts: list[str] = []
    if not inputs.cost_visible:
        figure = "" if growth > 0 else "budget as agreed"
        if growth <= 0:
            parts.append("budget as agreed")
    elif cpi is None:
        parts.append("no cost booked yet")
        figure = "CPI n/a"
    else:
        figure = f"CPI {number(cpi, 2)}"
        if cpi < 1:
            parts.append(
                f"CPI {number(cpi, 2)}: forecast {money(ev.estimate_at_completion)} at completion against "
                f"a budget of {money(ev.budget_at_completion)} (VAC {money(ev.variance_at_completion)})"
            )
        else:
            parts.append(f"CPI {number(cpi, 2)}, forecast {money(ev.estimate_at_completion)} at completion")
    if growth > 0:
        parts.append(f"budget up {number(growth * HUNDRED, 1)}% on the original baseline")
        figure += (", " if figure else "") + f"budget {signed(growth * HUNDRED, 1)}%"
    return Assessment(stress, figure, sentence(parts, on_plan=stress == 0))


def assess_scope(inputs: ProjectInputs, policy: ScoringPolicy) -> Assessment:
    change = inputs.approved_scope_change_percent
    pending = max(0, inputs.pending_change_requests)
    change_component = clip(abs(change) / policy.scope_change_percent_for_full_stress)
    pending_component = min(policy.pending_change_request_stress_cap, policy.pending_change_request_stress * pending)
    stress = as_stress(either(change_component, pending_component))

    parts = [
        f"approved scope change {signed(change, 1)}%" if change != 0 else "no approved scope change",
        f"{plural(pending, 'change request')} awaiting client decision" if pending else "no change requests pending",
    ]
    figure = f"{signed(change, 1)}% scope, {pending} pending"
    return Assessment(stress, figure, sentence(parts, on_plan=stress == 0))


def assess_quality(inputs: ProjectInputs, policy: ScoringPolicy) -> Assessment:
    total = max(0, inputs.batches_total)
    rft = max(0, min(inputs.batches_right_first_time, total))
    rft_rate = Decimal(rft) / total if total else None
    rft_component = clip((ONE - rft_rate) / (ONE - policy.rft_floor)) if rft_rate is not None else ZERO

    minor = max(0, inputs.open_deviations_minor)
    major = max(0, inputs.open_deviations_major)
    critical = max(0, inputs.open_deviations_critical)
    deviation_points = (
        minor * policy.severity_points_minor
        + major * policy.severity_points_major
        + critical * policy.severity_points_critical
    )
    deviation_component = clip(deviation_points / policy.deviation_points_for_full_stress)

    capas = max(0, inputs.overdue_capas)
    capa_component = clip(capas * policy.overdue_capa_stress)

    impacts = [i for i in inputs.approved_quality_impacts if i != "none"]
    impact_points = sum((policy.severity_points(i) for i in impacts), ZERO)
    impact_component = clip(impact_points / policy.quality_impact_points_for_full_stress)

    combined = either(rft_component, deviation_component, capa_component, impact_component)
    if critical:
        combined = max(combined, policy.critical_deviation_min_stress)
    stress = as_stress(combined)

    parts: list[str] = []
    if rft_rate is not None:
        parts.append(f"RFT {number(rft_rate * HUNDRED, 0)}% ({rft} of {plural(total, 'batch', 'batches')})")
        figure = f"RFT {number(rft_rate * HUNDRED, 0)}%"
    else:
        parts.append("no batch outcomes yet")
        figure = "RFT n/a"
    severities = [(critical, "critical"), (major, "major"), (minor, "minor")]
    open_deviations = [f"{n} {label}" for n, label in severities if n]
    if open_deviations:
        parts.append("open deviations: " + ", ".join(open_deviations))
        figure += f", {minor + major + critical} open dev."
    else:
        parts.append("no open deviations")
    if capas:
        parts.append(f"{plural(capas, 'CAPA')} overdue")
        figure += f", {capas} CAPA overdue"
    else:
        parts.append("no overdue CAPAs")
    if impacts:
        counted = [f"{impacts.count(s)} {s}" for s in ("critical", "major", "minor") if s in impacts]
        parts.append("approved changes with quality impact: " + ", ".join(counted))
    if critical:
        floor = number(policy.critical_deviation_min_stress, 2)
        parts.append(f"an open critical deviation holds quality stress at {floor} or more")
    return Assessment(stress, figure, sentence(parts, on_plan=stress == 0))


def assess_satisfaction(inputs: ProjectInputs, policy: ScoringPolicy) -> Assessment:
    csat, nps, previous = inputs.csat_latest, inputs.nps, inputs.nps_previous
    if csat is None and nps is None:
        return Assessment(as_stress(ZERO), "no survey", "No survey yet.")
    components: list[Decimal] = []
    parts: list[str] = []
    figures: list[str] = []
    if csat is not None:
        components.append(clip((Decimal(5) - csat) / Decimal(4)))
        parts.append(f"CSAT {number(csat, 1)}/5")
        figures.append(f"CSAT {number(csat, 1)}")
    trend_component = ZERO
    if nps is not None:
        components.append(clip((HUNDRED - nps) / Decimal(200)))
        nps_text = f"NPS {number(nps, 0)}"
        figures.append(f"NPS {number(nps, 0)}")
        if previous is not None:
            if nps < previous:
                trend_component = clip((previous - nps) / policy.nps_drop_for_full_stress)
                nps_text += f", down {number(previous - nps, 0)} from {number(previous, 0)}"
            elif nps > previous:
                nps_text += f", up {number(nps - previous, 0)} from {number(previous, 0)}"
            else:
                nps_text += f", unchanged from {number(previous, 0)}"
        parts.append(nps_text)
    level = sum(components, ZERO) / len(components)
    stress = as_stress(either(level, trend_component))
    return Assessment(stress, ", ".join(figures), sentence(parts, on_plan=stress == 0))


def assess_risk_register(inputs: ProjectInputs, policy: ScoringPolicy) -> Assessment:
    exposures = [max(0, e) for e in inputs.open_risk_exposures]
    total = sum(exposures)
    stress = as_stress(Decimal(total) / policy.exposure_for_full_stress)
    if not exposures:
        return Assessment(stress, "no open risks", "On plan: no open risks.")
    text = f"{plural(len(exposures), 'open risk')}, total exposure {total} (top exposure {max(exposures)} of 25)"
    return Assessment(stress, f"exposure {total}", sentence([text], on_plan=stress == 0))


# --- scores -----------------------------------------------------------------------------------------------------


def _rag(risk_score: Decimal, policy: ScoringPolicy) -> Rag:
    if risk_score >= policy.red_threshold:
        return "red"
    if risk_score >= policy.amber_threshold:
        return "amber"
    return "green"


def reference_compute_scores(inputs: ProjectInputs, policy: ScoringPolicy = DEFAULT_POLICY) -> ScoreResult:
    """Risk score (0-100, higher is worse), tradeoff score (0-100, higher is better), RAG, EVM and factors.

    Deterministic: the same inputs and policy always give an equal result. See docs/scoring.md.
    """
    for dimension in TRADEOFF_DIMENSIONS:
        policy.multiplier(inputs.tradeoff.level(dimension))  # raises ValueError on an unknown level
    for impact in inputs.approved_quality_impacts:
        policy.severity_points(impact)  # raises ValueError on an unknown severity
    with localcontext(CONTEXT):
        ev = compute_earned_value(inputs)
        assessments: dict[Dimension, Assessment] = {
            "time": assess_time(inputs, ev, policy),
            "cost": assess_cost(inputs, ev, policy),
            "scope": assess_scope(inputs, policy),
            "quality": assess_quality(inputs, policy),
            "satisfaction": assess_satisfaction(inputs, policy),
            "risk_register": assess_risk_register(inputs, policy),
        }
        weights = policy.weights()
        total_weight = sum(weights.values(), ZERO)
        weighted = {d: weights[d] * assessments[d].stress for d in DIMENSIONS}
        risk_score = quantize(HUNDRED * sum(weighted.values(), ZERO) / total_weight, SCORE_QUANTUM)
        bend = sum(
            (policy.multiplier(inputs.tradeoff.level(d)) * assessments[d].stress for d in TRADEOFF_DIMENSIONS),
            ZERO,
        )
        tradeoff_score = quantize(HUNDRED * (ONE - bend / len(TRADEOFF_DIMENSIONS)), SCORE_QUANTUM)
        factors = [
            Factor(
                constraint=d,
                stress=assessments[d].stress,
                contribution=quantize(HUNDRED * weighted[d] / total_weight, SCORE_QUANTUM),
                figure=assessments[d].figure,
                text=assessments[d].text,
            )
            for d in DIMENSIONS
        ]
        factors.sort(key=lambda f: (-f.contribution, -f.stress, DIMENSIONS.index(f.constraint)))
        return ScoreResult(
            project_id=inputs.project_id,
            policy_version=policy.version,
            risk_score=risk_score,
            tradeoff_score=tradeoff_score,
            rag=_rag(risk_score, policy),
            stress=Stresses(**{d: assessments[d].stress for d in DIMENSIONS}),
            earned_value=ev,
            factors=tuple(factors),
            as_of=inputs.as_of,
        )


def reference_to_dict(result: ScoreResult) -> dict[str, object]:
    """JSON-ready form (Decimals as strings, dates ISO) for snapshots and the API."""

    def dec(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    ev = result.earned_value
    return {
        "project_id": result.project_id,
        "policy_version": result.policy_version,
        "as_of": result.as_of.isoformat(),
        "risk_score": dec(result.risk_score),
        "tradeoff_score": dec(result.tradeoff_score),
        "rag": result.rag,
        "stress": {d: dec(s) for d, s in result.stress.as_dict().items()},
        "earned_value": {
            "budget_at_completion": dec(ev.budget_at_completion),
            "planned_value": dec(ev.planned_value),
            "earned_value": dec(ev.earned_value),
            "actual_cost": dec(ev.actual_cost),
            "schedule_variance": dec(ev.schedule_variance),
            "cost_variance": dec(ev.cost_variance),
            "schedule_performance_index": dec(ev.schedule_performance_index),
            "cost_performance_index": dec(ev.cost_performance_index),
            "estimate_at_completion": dec(ev.estimate_at_completion),
            "estimate_to_complete": dec(ev.estimate_to_complete),
            "variance_at_completion": dec(ev.variance_at_completion),
            "to_complete_performance_index": dec(ev.to_complete_performance_index),
        },
        "factors": [
            {
                "constraint": f.constraint,
                "stress": dec(f.stress),
                "contribution": dec(f.contribution),
                "figure": f.figure,
                "text": f.text,
            }
            for f in result.factors
        ],
    }


# --- the selector and the snapshot --------------------------------------------------------------------------


def reference_scoring_inputs(
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


def reference_inputs_figures(inputs: scoring.ProjectInputs) -> dict:
    return {
        "budget": str(inputs.budget),
        "original_budget": str(inputs.original_budget),
        "actual_cost": str(inputs.actual_cost),
        "milestones": len(inputs.milestones),
        "approved_scope_change_percent": str(inputs.approved_scope_change_percent),
        "pending_change_requests": inputs.pending_change_requests,
        "approved_quality_impacts": list(inputs.approved_quality_impacts),
        "batches_total": inputs.batches_total,
        "batches_right_first_time": inputs.batches_right_first_time,
        "open_deviations": [
            inputs.open_deviations_minor,
            inputs.open_deviations_major,
            inputs.open_deviations_critical,
        ],
        "overdue_capas": inputs.overdue_capas,
        "csat_latest": None if inputs.csat_latest is None else str(inputs.csat_latest),
        "nps": None if inputs.nps is None else str(inputs.nps),
        "open_risk_exposures": list(inputs.open_risk_exposures),
        "tradeoff": {
            "time": inputs.tradeoff.time,
            "scope": inputs.tradeoff.scope,
            "quality": inputs.tradeoff.quality,
            "cost": inputs.tradeoff.cost,
        },
    }


def reference_snapshot(
    result: scoring.ScoreResult, inputs: scoring.ProjectInputs, bucket, now, lens: str = ScoreLens.CMO
) -> ScoreSnapshot:
    s = result.stress
    return ScoreSnapshot(
        project_id=result.project_id,
        lens=lens,
        bucket=bucket,
        computed_at=now,
        as_of=result.as_of,
        policy_version=result.policy_version,
        risk_score=result.risk_score,
        tradeoff_score=result.tradeoff_score,
        rag=result.rag,
        stress_time=s.time,
        stress_cost=s.cost,
        stress_scope=s.scope,
        stress_quality=s.quality,
        stress_satisfaction=s.satisfaction,
        stress_risk_register=s.risk_register,
        schedule_performance_index=result.earned_value.schedule_performance_index,
        cost_performance_index=result.earned_value.cost_performance_index,
        result=reference_to_dict(result),
        inputs=reference_inputs_figures(inputs),
    )
