"""Results of the scores: earned value, stress per dimension, ranked factors and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from metrics.scoring.inputs import DIMENSIONS, Dimension, Rag


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Factor:
    """One dimension's share of the risk score: ``contribution`` is in risk score points (0.01).

    ``figure`` and ``text`` are in English; ``words`` holds both as language-neutral phrases
    (``{"figure": ..., "text": ...}``, ``wording``), written in the reader's language where they are shown."""

    constraint: Dimension
    stress: Decimal
    contribution: Decimal
    figure: str
    text: str
    words: dict[str, object] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
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
        ev = self.earned_value
        stress = self.stress
        return {
            "project_id": self.project_id,
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat(),
            "risk_score": _text(self.risk_score),
            "tradeoff_score": _text(self.tradeoff_score),
            "rag": self.rag,
            "stress": {d: _text(getattr(stress, d)) for d in DIMENSIONS},
            "earned_value": {
                "budget_at_completion": _text(ev.budget_at_completion),
                "planned_value": _text(ev.planned_value),
                "earned_value": _text(ev.earned_value),
                "actual_cost": _text(ev.actual_cost),
                "schedule_variance": _text(ev.schedule_variance),
                "cost_variance": _text(ev.cost_variance),
                "schedule_performance_index": _text(ev.schedule_performance_index),
                "cost_performance_index": _text(ev.cost_performance_index),
                "estimate_at_completion": _text(ev.estimate_at_completion),
                "estimate_to_complete": _text(ev.estimate_to_complete),
                "variance_at_completion": _text(ev.variance_at_completion),
                "to_complete_performance_index": _text(ev.to_complete_performance_index),
            },
            "factors": [
                {
                    "constraint": f.constraint,
                    "stress": _text(f.stress),
                    "contribution": _text(f.contribution),
                    "figure": f.figure,
                    "text": f.text,
                    "words": f.words,
                }
                for f in self.factors
            ],
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
