"""Stress per dimension (0..1) with the figure and the sentence that explain it (docs/scoring.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from metrics.scoring.arithmetic import HUNDRED, ONE, ZERO, as_stress, clip, either
from metrics.scoring.inputs import ProjectInputs
from metrics.scoring.milestones import MilestoneFigures, milestone_figures
from metrics.scoring.policy import ScoringPolicy
from metrics.scoring.results import EarnedValue
from metrics.scoring.wording import money, number, plural, sentence, signed


@dataclass(frozen=True, slots=True)
class Assessment:
    stress: Decimal  # already quantized
    figure: str
    text: str


def assess_time(
    inputs: ProjectInputs, ev: EarnedValue, policy: ScoringPolicy, figures: MilestoneFigures | None = None
) -> Assessment:
    """``figures``: the milestones' sums when the caller already took them (``milestone_figures``)."""
    milestones = inputs.milestones
    spi = ev.schedule_performance_index
    spi_text = f"SPI {number(spi, 2)}" if spi is not None else "SPI n/a (nothing planned to date)"
    if not milestones:
        return Assessment(as_stress(ZERO), "no milestones", "No milestones planned yet.")
    if figures is None:
        figures = milestone_figures(milestones, inputs.as_of)
    weighted_slip = figures.slip / figures.total
    slip_component = clip(weighted_slip / policy.slip_days_for_full_stress)
    spi_component = clip((ONE - spi) / (ONE - policy.spi_floor)) if spi is not None else ZERO
    stress = as_stress(either(slip_component, spi_component))

    late = figures.late
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
