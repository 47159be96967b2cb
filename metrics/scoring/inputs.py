"""Inputs of the scores: the dimensions and levels, a project's figures, the priority matrix, a change.

Money is ``Decimal`` in the project's currency; a float is refused so that no binary rounding slips in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from metrics.scoring.arithmetic import ZERO

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


def reject_float(owner: str, **values: object) -> None:
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


@dataclass(frozen=True, slots=True)
class MilestoneInput:
    """One milestone; ``weight`` is its share of the planned value, ``percent_complete`` is 0..100.

    Slotted: a full recompute builds one per milestone and lens (600,000 at 10,000 projects).
    """

    weight: Decimal
    percent_complete: Decimal
    baseline_date: date | None
    forecast_date: date | None
    actual_date: date | None
    milestone_id: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.weight, float) or isinstance(self.percent_complete, float):
            reject_float("MilestoneInput", weight=self.weight, percent_complete=self.percent_complete)


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
    approved_scope_change_percent: Decimal = ZERO
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
        reject_float(
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
class HypotheticalChange:
    """A change request's impacts: days of schedule slip, cost in currency, scope in percent, quality severity."""

    schedule_impact_days: int
    cost_impact: Decimal
    scope_impact_percent: Decimal
    quality_impact: str
    moved_milestone_ids: frozenset[int] | None = None  # None: every open milestone moves

    def __post_init__(self) -> None:
        reject_float("HypotheticalChange", cost_impact=self.cost_impact, scope_impact_percent=self.scope_impact_percent)
