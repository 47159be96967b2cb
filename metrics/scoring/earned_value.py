"""Earned value by the weighted-milestone method (PMI PMBOK Guide; ANSI/EIA-748)."""

from __future__ import annotations

from decimal import localcontext

from metrics.scoring.arithmetic import CONTEXT, HUNDRED, INDEX_QUANTUM, MONEY_QUANTUM, ZERO, quantize
from metrics.scoring.inputs import ProjectInputs
from metrics.scoring.milestones import MilestoneFigures, milestone_figures
from metrics.scoring.results import EarnedValue


def compute_earned_value(inputs: ProjectInputs) -> EarnedValue:
    """Earned value by the weighted-milestone method (PMBOK Guide 7th ed. / ANSI/EIA-748); money to the cent.

    PV = BAC x weight due by as_of, EV = BAC x weighted % complete, EAC = BAC / CPI (typical variance).
    """
    with localcontext(CONTEXT):
        return earned_value_from(inputs, milestone_figures(inputs.milestones, inputs.as_of))


def earned_value_from(inputs: ProjectInputs, figures: MilestoneFigures) -> EarnedValue:
    """``compute_earned_value`` from the milestones' sums already taken; call inside ``localcontext(CONTEXT)``."""
    bac = quantize(inputs.budget, MONEY_QUANTUM)
    ac = quantize(inputs.actual_cost, MONEY_QUANTUM)
    if inputs.milestones:
        pv = quantize(bac * figures.due / figures.total, MONEY_QUANTUM)
        ev = quantize(bac * figures.done / (HUNDRED * figures.total), MONEY_QUANTUM)
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
