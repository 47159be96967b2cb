"""What the scores read from a project's milestones: weights, slip, and their sums taken in one pass.

Earned value (PMBOK Guide; ANSI/EIA-748, weighted milestones) and time stress share these sums, so
``compute_scores`` walks the milestones once (docs/scoring.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metrics.scoring.arithmetic import HUNDRED, ONE, ZERO
from metrics.scoring.inputs import MilestoneInput


def milestone_weights(milestones: tuple[MilestoneInput, ...]) -> tuple[list[Decimal], Decimal]:
    """Non-negative weights and their total; all-zero weights count as equal."""
    weights = [m.weight if m.weight > ZERO else ZERO for m in milestones]  # max(0, weight)
    total = sum(weights, ZERO)
    if total == 0:
        weights = [ONE for _ in milestones]
        total = Decimal(len(milestones))
    return weights, total


@dataclass(frozen=True, slots=True)
class MilestoneFigures:
    """Weighted sums over a project's milestones (weights as ``milestone_weights`` gives them).

    ``due``: weight due by ``as_of``; ``done``: weight x percent complete clipped to 0..100;
    ``slip``: weight x slip days; ``late``: the positive slips in days, in milestone order.
    """

    total: Decimal
    due: Decimal
    done: Decimal
    slip: Decimal
    late: tuple[int, ...]


def milestone_figures(milestones: tuple[MilestoneInput, ...], as_of: date) -> MilestoneFigures:
    """The sums of earned value and time stress, in one pass over the milestones.

    Slip: a milestone without a baseline never slips. A completed one slips by actual - baseline, an open
    one by max(forecast, as_of) - baseline (it cannot finish before today; no forecast means "at
    baseline"); never below 0 days.

    Each sum adds its terms in milestone order; zero terms are left out, which changes no sum's value
    (only a trailing zero of its exponent, and every use of a sum is quantized).
    """
    weights, total = milestone_weights(milestones)
    due = done = slip = ZERO
    late: list[int] = []
    for weight, milestone in zip(weights, milestones, strict=True):
        percent = milestone.percent_complete
        if percent > ZERO:
            done += weight * (HUNDRED if percent >= HUNDRED else percent)
        baseline = milestone.baseline_date
        if baseline is None:
            continue
        if baseline <= as_of:
            due += weight
        end = milestone.actual_date
        if end is None:
            forecast = milestone.forecast_date
            end = baseline if forecast is None else forecast
            if end < as_of:
                end = as_of
        days = (end - baseline).days
        if days > 0:
            slip += weight * days
            late.append(days)
    return MilestoneFigures(total=total, due=due, done=done, slip=slip, late=tuple(late))
