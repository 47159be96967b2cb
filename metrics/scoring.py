"""Project risk and tradeoff scoring for the CMO Portal.

Pure Python on purpose (no Django imports): frozen dataclass inputs in, frozen dataclass
results out, so the formulas are unit-testable, reproducible by hand and reusable from
Celery tasks, management commands and the API alike.

* Money is ``Decimal`` in the project's currency, reported to the cent.
* Stresses are ``Decimal`` in [0, 1], reported to 0.001.
* Risk and tradeoff scores are ``Decimal`` in [0, 100], reported to 0.01.
* Scores are computed from the *reported* (rounded) stresses, so anyone can reproduce a
  score from the figures shown on screen. All rounding is ROUND_HALF_UP.

Sources: earned value per the PMI PMBOK Guide and ANSI/EIA-748 (weighted milestones); NPS per
Reichheld (HBR 2003) / Bain & Company; the priority matrix per Wysocki / PMI. Every formula, its
source, the default policy and a worked example are in ``docs/scoring.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Final, Literal

from projects.schedule_change import moved_forecast, moves_with_change

__all__ = [
    "CONSTRAINT_LEVELS",
    "DEFAULT_POLICY",
    "DIMENSIONS",
    "MAX_CONSTRAIN_DIMENSIONS",
    "QUALITY_IMPACTS",
    "SCORE_QUANTUM",
    "STRESS_QUANTUM",
    "TRADEOFF_DIMENSIONS",
    "ConstraintLevel",
    "Dimension",
    "EarnedValue",
    "Factor",
    "HypotheticalChange",
    "MilestoneInput",
    "ProjectInputs",
    "QualityImpact",
    "Rag",
    "ScoreResult",
    "ScoringPolicy",
    "Stresses",
    "TradeoffMatrix",
    "apply_change",
    "compute_earned_value",
    "compute_scores",
    "validate_tradeoff_matrix",
    "what_if",
]

ConstraintLevel = Literal["constrain", "optimize", "accept"]
QualityImpact = Literal["none", "minor", "major", "critical"]
Dimension = Literal["time", "cost", "scope", "quality", "satisfaction", "risk_register"]
Rag = Literal["green", "amber", "red"]

CONSTRAINT_LEVELS: Final[tuple[ConstraintLevel, ...]] = ("constrain", "optimize", "accept")
QUALITY_IMPACTS: Final[tuple[QualityImpact, ...]] = ("none", "minor", "major", "critical")
#: All scored dimensions, in the canonical order used to break ties between factors.
DIMENSIONS: Final[tuple[Dimension, ...]] = ("time", "cost", "scope", "quality", "satisfaction", "risk_register")
#: The four client trade dimensions of the project priority matrix (they alone enter the tradeoff score).
TRADEOFF_DIMENSIONS: Final[tuple[Dimension, ...]] = ("time", "scope", "quality", "cost")
#: A matrix with more `constrain` dimensions than this leaves the project no room to trade.
MAX_CONSTRAIN_DIMENSIONS: Final = 2

MONEY_QUANTUM: Final = Decimal("0.01")
INDEX_QUANTUM: Final = Decimal("0.001")
STRESS_QUANTUM: Final = Decimal("0.001")
SCORE_QUANTUM: Final = Decimal("0.01")

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_HUNDRED: Final = Decimal(100)
# A fixed arithmetic context: results never depend on whatever decimal context the caller set.
_CONTEXT: Final = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _reject_float(owner: str, **values: object) -> None:
    for name, value in values.items():
        if isinstance(value, float):
            raise TypeError(f"{owner}.{name} must be a Decimal, not a float (got {value!r}).")


@dataclass(frozen=True)
class TradeoffMatrix:
    """The client's project priority matrix: one ConstraintLevel per trade dimension."""

    time: str
    scope: str
    quality: str
    cost: str

    def level(self, dimension: str) -> str:
        """The level of ``dimension`` ("time", "scope", "quality" or "cost")."""
        if dimension not in TRADEOFF_DIMENSIONS:
            raise KeyError(dimension)
        value: str = getattr(self, dimension)
        return value


@dataclass(frozen=True)
class MilestoneInput:
    """One milestone; ``weight`` is its share of the planned value, ``percent_complete`` is 0..100."""

    weight: Decimal
    percent_complete: Decimal
    baseline_date: date | None
    forecast_date: date | None
    actual_date: date | None
    milestone_id: int | None = None

    def __post_init__(self) -> None:
        _reject_float("MilestoneInput", weight=self.weight, percent_complete=self.percent_complete)


@dataclass(frozen=True)
class ProjectInputs:
    """Everything the scores of one project depend on, as of ``as_of``. Money in the project's currency."""

    project_id: int
    as_of: date
    budget: Decimal
    original_budget: Decimal
    actual_cost: Decimal
    milestones: tuple[MilestoneInput, ...]
    tradeoff: TradeoffMatrix
    approved_scope_change_percent: Decimal = _ZERO
    pending_change_requests: int = 0
    approved_quality_impacts: tuple[str, ...] = ()
    batches_total: int = 0
    batches_right_first_time: int = 0
    open_deviations_minor: int = 0
    open_deviations_major: int = 0
    open_deviations_critical: int = 0
    overdue_capas: int = 0
    csat_latest: Decimal | None = None
    nps: Decimal | None = None
    nps_previous: Decimal | None = None
    open_risk_exposures: tuple[int, ...] = ()
    # False for the client lens: actual cost is the CMO's internal figure, so cost stress comes
    # only from budget growth through approved changes (which the client signed).
    cost_visible: bool = True

    def __post_init__(self) -> None:
        _reject_float(
            "ProjectInputs",
            budget=self.budget,
            original_budget=self.original_budget,
            actual_cost=self.actual_cost,
            approved_scope_change_percent=self.approved_scope_change_percent,
            csat_latest=self.csat_latest,
            nps=self.nps,
            nps_previous=self.nps_previous,
        )


@dataclass(frozen=True)
class ScoringPolicy:
    """Versioned weights and thresholds; every score records the policy version it was computed with.

    Fields named ``*_for_full_stress`` are the value at which a stress component reaches 1;
    ``*_floor`` fields are the index value at or below which a component reaches 1.
    """

    version: int = 1
    # Risk score weights (relative; they need not sum to 1).
    weight_time: Decimal = Decimal("0.25")
    weight_cost: Decimal = Decimal("0.20")
    weight_scope: Decimal = Decimal("0.10")
    weight_quality: Decimal = Decimal("0.25")
    weight_satisfaction: Decimal = Decimal("0.10")
    weight_risk_register: Decimal = Decimal("0.10")
    # RAG bands on the risk score (0..100).
    amber_threshold: Decimal = Decimal(35)
    red_threshold: Decimal = Decimal(60)
    # Time.
    slip_days_for_full_stress: Decimal = Decimal(30)
    spi_floor: Decimal = Decimal("0.60")
    # Cost.
    cpi_floor: Decimal = Decimal("0.80")
    budget_growth_for_full_stress: Decimal = Decimal("0.20")
    # Scope.
    scope_change_percent_for_full_stress: Decimal = Decimal(20)
    pending_change_request_stress: Decimal = Decimal("0.10")
    pending_change_request_stress_cap: Decimal = Decimal("0.50")
    # Quality.
    rft_floor: Decimal = Decimal("0.50")
    severity_points_minor: Decimal = Decimal(1)
    severity_points_major: Decimal = Decimal(3)
    severity_points_critical: Decimal = Decimal(10)
    deviation_points_for_full_stress: Decimal = Decimal(20)
    critical_deviation_min_stress: Decimal = Decimal("0.60")
    overdue_capa_stress: Decimal = Decimal("0.10")
    quality_impact_points_for_full_stress: Decimal = Decimal(10)
    # Satisfaction.
    nps_drop_for_full_stress: Decimal = Decimal(40)
    # Risk register.
    exposure_for_full_stress: Decimal = Decimal(50)
    # Tradeoff multipliers, per ConstraintLevel.
    multiplier_constrain: Decimal = Decimal("1.0")
    multiplier_optimize: Decimal = Decimal("0.5")
    multiplier_accept: Decimal = Decimal("0.2")

    def __post_init__(self) -> None:
        errors: list[str] = []
        weights = self.weights()
        if any(w < 0 for w in weights.values()):
            errors.append("weights must not be negative")
        if sum(weights.values(), _ZERO) <= 0:
            errors.append("at least one weight must be positive")
        if not _ZERO <= self.amber_threshold <= self.red_threshold <= _HUNDRED:
            errors.append("thresholds must satisfy 0 <= amber_threshold <= red_threshold <= 100")
        for name in ("spi_floor", "cpi_floor", "rft_floor"):
            if not _ZERO <= getattr(self, name) < _ONE:
                errors.append(f"{name} must be in [0, 1)")
        for name in (
            "slip_days_for_full_stress",
            "budget_growth_for_full_stress",
            "scope_change_percent_for_full_stress",
            "deviation_points_for_full_stress",
            "quality_impact_points_for_full_stress",
            "nps_drop_for_full_stress",
            "exposure_for_full_stress",
        ):
            if getattr(self, name) <= 0:
                errors.append(f"{name} must be positive")
        for name in (
            "severity_points_minor",
            "severity_points_major",
            "severity_points_critical",
            "pending_change_request_stress",
            "overdue_capa_stress",
        ):
            if getattr(self, name) < 0:
                errors.append(f"{name} must not be negative")
        for name in (
            "pending_change_request_stress_cap",
            "critical_deviation_min_stress",
            "multiplier_constrain",
            "multiplier_optimize",
            "multiplier_accept",
        ):
            if not _ZERO <= getattr(self, name) <= _ONE:
                errors.append(f"{name} must be in [0, 1]")
        if errors:
            raise ValueError("Invalid ScoringPolicy: " + "; ".join(errors) + ".")

    def weights(self) -> dict[Dimension, Decimal]:
        """Risk score weight per dimension."""
        return {
            "time": self.weight_time,
            "cost": self.weight_cost,
            "scope": self.weight_scope,
            "quality": self.weight_quality,
            "satisfaction": self.weight_satisfaction,
            "risk_register": self.weight_risk_register,
        }

    def multiplier(self, level: str) -> Decimal:
        """Tradeoff multiplier of a ConstraintLevel."""
        if level == "constrain":
            return self.multiplier_constrain
        if level == "optimize":
            return self.multiplier_optimize
        if level == "accept":
            return self.multiplier_accept
        raise ValueError(f"Unknown constraint level {level!r}; expected one of {', '.join(CONSTRAINT_LEVELS)}.")

    def severity_points(self, severity: str) -> Decimal:
        """Points of a deviation or change-request quality impact of ``severity``."""
        if severity == "none":
            return _ZERO
        if severity == "minor":
            return self.severity_points_minor
        if severity == "major":
            return self.severity_points_major
        if severity == "critical":
            return self.severity_points_critical
        raise ValueError(f"Unknown quality impact {severity!r}; expected one of {', '.join(QUALITY_IMPACTS)}.")


DEFAULT_POLICY: Final = ScoringPolicy()


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarnedValue:
    """Earned value figures (PMBOK Guide; ANSI/EIA-748). Money to the cent, indices to 0.001."""

    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal
    schedule_variance: Decimal
    cost_variance: Decimal
    schedule_performance_index: Decimal | None  # None when PV = 0
    cost_performance_index: Decimal | None  # None when AC = 0
    estimate_at_completion: Decimal
    estimate_to_complete: Decimal
    variance_at_completion: Decimal
    to_complete_performance_index: Decimal | None  # None when BAC - AC <= 0
    budget_at_completion: Decimal


@dataclass(frozen=True)
class Stresses:
    """Stress per dimension, each in [0, 1] to 0.001 (0 = no concern, 1 = as bad as the policy measures)."""

    time: Decimal
    cost: Decimal
    scope: Decimal
    quality: Decimal
    satisfaction: Decimal
    risk_register: Decimal

    def get(self, dimension: str) -> Decimal:
        """Stress of ``dimension`` by name."""
        if dimension not in DIMENSIONS:
            raise KeyError(dimension)
        value: Decimal = getattr(self, dimension)
        return value

    def as_dict(self) -> dict[Dimension, Decimal]:
        return {d: self.get(d) for d in DIMENSIONS}


@dataclass(frozen=True)
class Factor:
    """One dimension's share of the risk score: ``contribution`` is in risk score points (0.01)."""

    constraint: Dimension
    stress: Decimal
    contribution: Decimal
    figure: str
    text: str


@dataclass(frozen=True)
class ScoreResult:
    """Scores of one project; ``factors`` are ranked by contribution, largest first."""

    project_id: int
    policy_version: int
    risk_score: Decimal
    tradeoff_score: Decimal
    rag: Rag
    stress: Stresses
    earned_value: EarnedValue
    factors: tuple[Factor, ...]
    as_of: date

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (Decimals as strings, dates ISO) for snapshots and the API."""

        def dec(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        ev = self.earned_value
        return {
            "project_id": self.project_id,
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat(),
            "risk_score": dec(self.risk_score),
            "tradeoff_score": dec(self.tradeoff_score),
            "rag": self.rag,
            "stress": {d: dec(s) for d, s in self.stress.as_dict().items()},
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
                for f in self.factors
            ],
        }


@dataclass(frozen=True)
class HypotheticalChange:
    """A change request's impacts: days of schedule slip, cost in currency, scope in percent, quality severity."""

    schedule_impact_days: int
    cost_impact: Decimal
    scope_impact_percent: Decimal
    quality_impact: str
    moved_milestone_ids: frozenset[int] | None = None  # None: every open milestone moves

    def __post_init__(self) -> None:
        _reject_float(
            "HypotheticalChange", cost_impact=self.cost_impact, scope_impact_percent=self.scope_impact_percent
        )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _clip(value: Decimal, low: Decimal = _ZERO, high: Decimal = _ONE) -> Decimal:
    return max(low, min(high, value))


def _q(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def _stress(value: Decimal) -> Decimal:
    return _q(_clip(value), STRESS_QUANTUM)


def _either(*components: Decimal) -> Decimal:
    """Probabilistic OR, 1 - prod(1 - c): monotone in every component, stays in [0, 1]."""
    remaining = _ONE
    for component in components:
        remaining *= _ONE - _clip(component)
    return _ONE - remaining


def _money(value: Decimal) -> str:
    return format(_q(value, MONEY_QUANTUM), ",")


def _num(value: Decimal, places: int) -> str:
    return format(_q(value, Decimal(1).scaleb(-places)), "f")


def _signed(value: Decimal, places: int) -> str:
    text = _num(value, places)
    return text if text.startswith("-") else "+" + text


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _sentence(parts: list[str], *, on_plan: bool) -> str:
    body = "; ".join(parts)
    if on_plan:
        return f"On plan: {body}."
    return body[:1].upper() + body[1:] + "."


def _milestone_weights(milestones: tuple[MilestoneInput, ...]) -> tuple[list[Decimal], Decimal]:
    """Non-negative weights and their total; all-zero weights count as equal."""
    weights = [max(_ZERO, m.weight) for m in milestones]
    total = sum(weights, _ZERO)
    if total == 0:
        weights = [_ONE for _ in milestones]
        total = Decimal(len(milestones))
    return weights, total


def _slip_days(milestone: MilestoneInput, as_of: date) -> int:
    """Days a milestone is (or finished) behind its baseline; 0 when on time or undated.

    A completed milestone slips by actual - baseline. An open one by max(forecast, as_of) - baseline:
    it cannot finish before today, and a missing forecast means "at baseline".
    """
    if milestone.baseline_date is None:
        return 0
    if milestone.actual_date is not None:
        end = milestone.actual_date
    else:
        forecast = milestone.forecast_date if milestone.forecast_date is not None else milestone.baseline_date
        end = max(forecast, as_of)
    return max(0, (end - milestone.baseline_date).days)


# --------------------------------------------------------------------------------------------
# Earned value
# --------------------------------------------------------------------------------------------


def compute_earned_value(inputs: ProjectInputs) -> EarnedValue:
    """Earned value by the weighted-milestone method (PMBOK Guide 7th ed. / ANSI/EIA-748); money to the cent.

    PV = BAC x weight due by as_of, EV = BAC x weighted % complete, EAC = BAC / CPI (typical variance).
    """
    with localcontext(_CONTEXT):
        return _earned_value(inputs)


def _earned_value(inputs: ProjectInputs) -> EarnedValue:
    bac = _q(inputs.budget, MONEY_QUANTUM)
    ac = _q(inputs.actual_cost, MONEY_QUANTUM)
    milestones = inputs.milestones
    if milestones:
        weights, total = _milestone_weights(milestones)
        due = sum(
            (
                w
                for w, m in zip(weights, milestones, strict=True)
                if m.baseline_date is not None and m.baseline_date <= inputs.as_of
            ),
            _ZERO,
        )
        done = sum(
            (w * _clip(m.percent_complete, _ZERO, _HUNDRED) for w, m in zip(weights, milestones, strict=True)),
            _ZERO,
        )
        pv = _q(bac * due / total, MONEY_QUANTUM)
        ev = _q(bac * done / (_HUNDRED * total), MONEY_QUANTUM)
    else:
        pv = ev = _q(_ZERO, MONEY_QUANTUM)

    spi = _q(ev / pv, INDEX_QUANTUM) if pv > 0 else None
    if ac <= 0:
        cpi = None
        eac = bac  # no cost booked: nothing to extrapolate from
    elif ev <= 0:
        cpi = _q(_ZERO, INDEX_QUANTUM)
        eac = ac + bac - ev  # CPI = 0 makes BAC / CPI infinite; fall back to the atypical form AC + (BAC - EV)
    else:
        cpi = _q(ev / ac, INDEX_QUANTUM)
        eac = _q(bac * ac / ev, MONEY_QUANTUM)  # = BAC / CPI, without rounding CPI first
    tcpi = _q((bac - ev) / (bac - ac), INDEX_QUANTUM) if bac - ac > 0 else None
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


# --------------------------------------------------------------------------------------------
# Stress per dimension
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Assessment:
    stress: Decimal  # already quantized
    figure: str
    text: str


def _assess_time(inputs: ProjectInputs, ev: EarnedValue, policy: ScoringPolicy) -> _Assessment:
    milestones = inputs.milestones
    spi = ev.schedule_performance_index
    spi_text = f"SPI {_num(spi, 2)}" if spi is not None else "SPI n/a (nothing planned to date)"
    if not milestones:
        return _Assessment(_stress(_ZERO), "no milestones", "No milestones planned yet.")
    weights, total = _milestone_weights(milestones)
    slips = [_slip_days(m, inputs.as_of) for m in milestones]
    weighted_slip = sum((w * s for w, s in zip(weights, slips, strict=True)), _ZERO) / total
    slip_component = _clip(weighted_slip / policy.slip_days_for_full_stress)
    spi_component = _clip((_ONE - spi) / (_ONE - policy.spi_floor)) if spi is not None else _ZERO
    stress = _stress(_either(slip_component, spi_component))

    late = [s for s in slips if s > 0]
    if len(late) == 1:
        late_text = f"1 milestone late by {_plural(late[0], 'day')}"
    elif late:
        average = _num(Decimal(sum(late)) / len(late), 0)
        late_text = f"{len(late)} milestones late, {average} days on average (worst {max(late)})"
    else:
        late_text = "no milestones late"
    figure = f"SPI {_num(spi, 2)}" if spi is not None else "SPI n/a"
    if late:
        figure += f", {len(late)} late"
    return _Assessment(stress, figure, _sentence([late_text, spi_text], on_plan=stress == 0))


def _assess_cost(inputs: ProjectInputs, ev: EarnedValue, policy: ScoringPolicy) -> _Assessment:
    cpi = ev.cost_performance_index if inputs.cost_visible else None
    cpi_component = _clip((_ONE - cpi) / (_ONE - policy.cpi_floor)) if cpi is not None else _ZERO
    growth = (inputs.budget - inputs.original_budget) / inputs.original_budget if inputs.original_budget > 0 else _ZERO
    growth_component = _clip(growth / policy.budget_growth_for_full_stress)
    stress = _stress(_either(cpi_component, growth_component))

    parts: list[str] = []
    if not inputs.cost_visible:
        figure = "" if growth > 0 else "budget as agreed"
        if growth <= 0:
            parts.append("budget as agreed")
    elif cpi is None:
        parts.append("no cost booked yet")
        figure = "CPI n/a"
    else:
        figure = f"CPI {_num(cpi, 2)}"
        if cpi < 1:
            parts.append(
                f"CPI {_num(cpi, 2)}: forecast {_money(ev.estimate_at_completion)} at completion against "
                f"a budget of {_money(ev.budget_at_completion)} (VAC {_money(ev.variance_at_completion)})"
            )
        else:
            parts.append(f"CPI {_num(cpi, 2)}, forecast {_money(ev.estimate_at_completion)} at completion")
    if growth > 0:
        parts.append(f"budget up {_num(growth * _HUNDRED, 1)}% on the original baseline")
        figure += (", " if figure else "") + f"budget {_signed(growth * _HUNDRED, 1)}%"
    return _Assessment(stress, figure, _sentence(parts, on_plan=stress == 0))


def _assess_scope(inputs: ProjectInputs, policy: ScoringPolicy) -> _Assessment:
    change = inputs.approved_scope_change_percent
    pending = max(0, inputs.pending_change_requests)
    change_component = _clip(abs(change) / policy.scope_change_percent_for_full_stress)
    pending_component = min(policy.pending_change_request_stress_cap, policy.pending_change_request_stress * pending)
    stress = _stress(_either(change_component, pending_component))

    parts = [
        f"approved scope change {_signed(change, 1)}%" if change != 0 else "no approved scope change",
        f"{_plural(pending, 'change request')} awaiting client decision" if pending else "no change requests pending",
    ]
    figure = f"{_signed(change, 1)}% scope, {pending} pending"
    return _Assessment(stress, figure, _sentence(parts, on_plan=stress == 0))


def _assess_quality(inputs: ProjectInputs, policy: ScoringPolicy) -> _Assessment:
    total = max(0, inputs.batches_total)
    rft = max(0, min(inputs.batches_right_first_time, total))
    rft_rate = Decimal(rft) / total if total else None
    rft_component = _clip((_ONE - rft_rate) / (_ONE - policy.rft_floor)) if rft_rate is not None else _ZERO

    minor = max(0, inputs.open_deviations_minor)
    major = max(0, inputs.open_deviations_major)
    critical = max(0, inputs.open_deviations_critical)
    deviation_points = (
        minor * policy.severity_points_minor
        + major * policy.severity_points_major
        + critical * policy.severity_points_critical
    )
    deviation_component = _clip(deviation_points / policy.deviation_points_for_full_stress)

    capas = max(0, inputs.overdue_capas)
    capa_component = _clip(capas * policy.overdue_capa_stress)

    impacts = [i for i in inputs.approved_quality_impacts if i != "none"]
    impact_points = sum((policy.severity_points(i) for i in impacts), _ZERO)
    impact_component = _clip(impact_points / policy.quality_impact_points_for_full_stress)

    combined = _either(rft_component, deviation_component, capa_component, impact_component)
    if critical:
        combined = max(combined, policy.critical_deviation_min_stress)
    stress = _stress(combined)

    parts: list[str] = []
    if rft_rate is not None:
        parts.append(f"RFT {_num(rft_rate * _HUNDRED, 0)}% ({rft} of {_plural(total, 'batch', 'batches')})")
        figure = f"RFT {_num(rft_rate * _HUNDRED, 0)}%"
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
        parts.append(f"{_plural(capas, 'CAPA')} overdue")
        figure += f", {capas} CAPA overdue"
    else:
        parts.append("no overdue CAPAs")
    if impacts:
        counted = [f"{impacts.count(s)} {s}" for s in ("critical", "major", "minor") if s in impacts]
        parts.append("approved changes with quality impact: " + ", ".join(counted))
    if critical:
        floor = _num(policy.critical_deviation_min_stress, 2)
        parts.append(f"an open critical deviation holds quality stress at {floor} or more")
    return _Assessment(stress, figure, _sentence(parts, on_plan=stress == 0))


def _assess_satisfaction(inputs: ProjectInputs, policy: ScoringPolicy) -> _Assessment:
    csat, nps, previous = inputs.csat_latest, inputs.nps, inputs.nps_previous
    if csat is None and nps is None:
        return _Assessment(_stress(_ZERO), "no survey", "No survey yet.")
    components: list[Decimal] = []
    parts: list[str] = []
    figures: list[str] = []
    if csat is not None:
        components.append(_clip((Decimal(5) - csat) / Decimal(4)))
        parts.append(f"CSAT {_num(csat, 1)}/5")
        figures.append(f"CSAT {_num(csat, 1)}")
    trend_component = _ZERO
    if nps is not None:
        components.append(_clip((_HUNDRED - nps) / Decimal(200)))
        nps_text = f"NPS {_num(nps, 0)}"
        figures.append(f"NPS {_num(nps, 0)}")
        if previous is not None:
            if nps < previous:
                trend_component = _clip((previous - nps) / policy.nps_drop_for_full_stress)
                nps_text += f", down {_num(previous - nps, 0)} from {_num(previous, 0)}"
            elif nps > previous:
                nps_text += f", up {_num(nps - previous, 0)} from {_num(previous, 0)}"
            else:
                nps_text += f", unchanged from {_num(previous, 0)}"
        parts.append(nps_text)
    level = sum(components, _ZERO) / len(components)
    stress = _stress(_either(level, trend_component))
    return _Assessment(stress, ", ".join(figures), _sentence(parts, on_plan=stress == 0))


def _assess_risk_register(inputs: ProjectInputs, policy: ScoringPolicy) -> _Assessment:
    exposures = [max(0, e) for e in inputs.open_risk_exposures]
    total = sum(exposures)
    stress = _stress(Decimal(total) / policy.exposure_for_full_stress)
    if not exposures:
        return _Assessment(stress, "no open risks", "On plan: no open risks.")
    text = f"{_plural(len(exposures), 'open risk')}, total exposure {total} (top exposure {max(exposures)} of 25)"
    return _Assessment(stress, f"exposure {total}", _sentence([text], on_plan=stress == 0))


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


def validate_tradeoff_matrix(matrix: TradeoffMatrix) -> list[str]:
    """Error messages for an invalid priority matrix (empty list when valid).

    Each level must be constrain/optimize/accept, and at most two dimensions may be `constrain`.
    """
    errors: list[str] = []
    for dimension in TRADEOFF_DIMENSIONS:
        level = matrix.level(dimension)
        if level not in CONSTRAINT_LEVELS:
            errors.append(f"{dimension.capitalize()}: {level!r} is not one of {', '.join(CONSTRAINT_LEVELS)}.")
    constrained = [d for d in TRADEOFF_DIMENSIONS if matrix.level(d) == "constrain"]
    if len(constrained) > MAX_CONSTRAIN_DIMENSIONS:
        errors.append(
            f"At most {MAX_CONSTRAIN_DIMENSIONS} dimensions may be 'constrain' (got {len(constrained)}: "
            f"{', '.join(constrained)}); a project where everything is fixed has no room to trade."
        )
    return errors


def _rag(risk_score: Decimal, policy: ScoringPolicy) -> Rag:
    if risk_score >= policy.red_threshold:
        return "red"
    if risk_score >= policy.amber_threshold:
        return "amber"
    return "green"


def compute_scores(inputs: ProjectInputs, policy: ScoringPolicy = DEFAULT_POLICY) -> ScoreResult:
    """Risk score (0-100, higher is worse), tradeoff score (0-100, higher is better), RAG, EVM and factors.

    Deterministic: the same inputs and policy always give an equal result. See docs/scoring.md.
    """
    for dimension in TRADEOFF_DIMENSIONS:
        policy.multiplier(inputs.tradeoff.level(dimension))  # raises ValueError on an unknown level
    for impact in inputs.approved_quality_impacts:
        policy.severity_points(impact)  # raises ValueError on an unknown severity
    with localcontext(_CONTEXT):
        ev = _earned_value(inputs)
        assessments: dict[Dimension, _Assessment] = {
            "time": _assess_time(inputs, ev, policy),
            "cost": _assess_cost(inputs, ev, policy),
            "scope": _assess_scope(inputs, policy),
            "quality": _assess_quality(inputs, policy),
            "satisfaction": _assess_satisfaction(inputs, policy),
            "risk_register": _assess_risk_register(inputs, policy),
        }
        weights = policy.weights()
        total_weight = sum(weights.values(), _ZERO)
        weighted = {d: weights[d] * assessments[d].stress for d in DIMENSIONS}
        risk_score = _q(_HUNDRED * sum(weighted.values(), _ZERO) / total_weight, SCORE_QUANTUM)
        bend = sum(
            (policy.multiplier(inputs.tradeoff.level(d)) * assessments[d].stress for d in TRADEOFF_DIMENSIONS),
            _ZERO,
        )
        tradeoff_score = _q(_HUNDRED * (_ONE - bend / len(TRADEOFF_DIMENSIONS)), SCORE_QUANTUM)
        factors = [
            Factor(
                constraint=d,
                stress=assessments[d].stress,
                contribution=_q(_HUNDRED * weighted[d] / total_weight, SCORE_QUANTUM),
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


# --------------------------------------------------------------------------------------------
# What-if
# --------------------------------------------------------------------------------------------


def apply_change(inputs: ProjectInputs, change: HypotheticalChange, *, was_pending: bool) -> ProjectInputs:
    """The inputs as they will be once ``change`` is approved (budget, open forecasts, scope, quality, pending count).

    Baselines and the original budget are unchanged; ``was_pending`` removes the request from the pending count.
    """
    if change.quality_impact not in QUALITY_IMPACTS:
        raise ValueError(
            f"Unknown quality impact {change.quality_impact!r}; expected one of {', '.join(QUALITY_IMPACTS)}."
        )
    days = change.schedule_impact_days
    milestones = inputs.milestones
    if days:
        shifted: list[MilestoneInput] = []
        for milestone in milestones:
            if moves_with_change(
                milestone_id=milestone.milestone_id,
                baseline_date=milestone.baseline_date,
                forecast_date=milestone.forecast_date,
                actual_date=milestone.actual_date,
                selected=change.moved_milestone_ids,
            ):
                forecast = moved_forecast(
                    baseline_date=milestone.baseline_date, forecast_date=milestone.forecast_date, days=days
                )
                milestone = replace(milestone, forecast_date=forecast)
            shifted.append(milestone)
        milestones = tuple(shifted)
    impacts = inputs.approved_quality_impacts
    if change.quality_impact != "none":
        impacts = (*impacts, change.quality_impact)
    pending = max(0, inputs.pending_change_requests - 1) if was_pending else inputs.pending_change_requests
    return replace(
        inputs,
        budget=inputs.budget + change.cost_impact,
        milestones=milestones,
        approved_scope_change_percent=inputs.approved_scope_change_percent + change.scope_impact_percent,
        approved_quality_impacts=impacts,
        pending_change_requests=pending,
    )


def what_if(
    inputs: ProjectInputs,
    change: HypotheticalChange,
    policy: ScoringPolicy = DEFAULT_POLICY,
    *,
    was_pending: bool = False,
) -> tuple[ScoreResult, ScoreResult]:
    """Scores (before, after) approving ``change``; ``after`` is compute_scores(apply_change(...))."""
    before = compute_scores(inputs, policy)
    after = compute_scores(apply_change(inputs, change, was_pending=was_pending), policy)
    return before, after
