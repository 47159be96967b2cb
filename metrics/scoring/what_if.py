"""What approving a change would do: the inputs after the change, and the scores before and after."""

from __future__ import annotations

from dataclasses import replace

from metrics.scoring.inputs import QUALITY_IMPACTS, HypotheticalChange, MilestoneInput, ProjectInputs
from metrics.scoring.policy import DEFAULT_POLICY, ScoringPolicy
from metrics.scoring.results import ScoreResult
from metrics.scoring.scores import compute_scores
from projects.schedule_change import moved_forecast, moves_with_change


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
