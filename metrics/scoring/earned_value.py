"""Earned value by the weighted-milestone method (PMI PMBOK Guide; ANSI/EIA-748)."""

from __future__ import annotations

from decimal import Decimal, localcontext

from metrics.scoring.arithmetic import CONTEXT, HUNDRED, INDEX_QUANTUM, MONEY_QUANTUM, ONE, ZERO, clip, quantize
from metrics.scoring.inputs import MilestoneInput, ProjectInputs
from metrics.scoring.results import EarnedValue


def milestone_weights(milestones: tuple[MilestoneInput, ...]) -> tuple[list[Decimal], Decimal]:
    """Non-negative weights and their total; all-zero weights count as equal."""
    weights = [max(ZERO, m.weight) for m in milestones]
    total = sum(weights, ZERO)
    if total == 0:
        weights = [ONE for _ in milestones]
        total = Decimal(len(milestones))
    return weights, total


def compute_earned_value(inputs: ProjectInputs) -> EarnedValue:
    """Earned value by the weighted-milestone method (PMBOK Guide 7th ed. / ANSI/EIA-748); money to the cent.

    PV = BAC x weight due by as_of, EV = BAC x weighted % complete, EAC = BAC / CPI (typical variance).
    """
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
