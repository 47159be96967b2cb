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

Modules: ``inputs`` (dimensions, a project's figures, the priority matrix, a hypothetical change),
``policy`` (weights and thresholds), ``results``, ``arithmetic`` and ``wording`` (rounding, sentences),
``earned_value``, ``stress`` (one assessment per dimension), ``scores`` (risk, tradeoff, RAG) and
``what_if``. This package re-exports their public names: ``from metrics import scoring``.
"""

from metrics.scoring.arithmetic import SCORE_QUANTUM, STRESS_QUANTUM
from metrics.scoring.earned_value import compute_earned_value
from metrics.scoring.inputs import (
    CONSTRAINT_LEVELS,
    DIMENSIONS,
    MAX_CONSTRAIN_DIMENSIONS,
    QUALITY_IMPACTS,
    TRADEOFF_DIMENSIONS,
    ConstraintLevel,
    Dimension,
    HypotheticalChange,
    MilestoneInput,
    ProjectInputs,
    QualityImpact,
    Rag,
    TradeoffMatrix,
)
from metrics.scoring.policy import DEFAULT_POLICY, ScoringPolicy
from metrics.scoring.results import EarnedValue, Factor, ScoreResult, Stresses
from metrics.scoring.scores import compute_scores, validate_tradeoff_matrix
from metrics.scoring.what_if import apply_change, what_if

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
