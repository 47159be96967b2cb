"""The risk score, the tradeoff score and RAG of a project, and the priority matrix's validity."""

from __future__ import annotations

from decimal import Decimal, localcontext

from metrics.scoring.arithmetic import CONTEXT, HUNDRED, ONE, SCORE_QUANTUM, ZERO, quantize
from metrics.scoring.earned_value import earned_value_from
from metrics.scoring.inputs import (
    CONSTRAINT_LEVELS,
    DIMENSIONS,
    MAX_CONSTRAIN_DIMENSIONS,
    TRADEOFF_DIMENSIONS,
    Dimension,
    ProjectInputs,
    Rag,
    TradeoffMatrix,
)
from metrics.scoring.milestones import milestone_figures
from metrics.scoring.policy import DEFAULT_POLICY, ScoringPolicy
from metrics.scoring.results import Factor, ScoreResult, Stresses
from metrics.scoring.stress import (
    Assessment,
    assess_cost,
    assess_quality,
    assess_risk_register,
    assess_satisfaction,
    assess_scope,
    assess_time,
)


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
    with localcontext(CONTEXT):
        figures = milestone_figures(inputs.milestones, inputs.as_of)  # one pass, shared by EVM and time
        ev = earned_value_from(inputs, figures)
        assessments: dict[Dimension, Assessment] = {
            "time": assess_time(inputs, ev, policy, figures),
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
                words=assessments[d].words,
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
            stress=Stresses(*[assessments[d].stress for d in DIMENSIONS]),
            earned_value=ev,
            factors=tuple(factors),
            as_of=inputs.as_of,
        )
