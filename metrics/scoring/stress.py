"""Stress per dimension (0..1) with the figure and the sentence that explain it (docs/scoring.md).

The figure and the sentence are language-neutral phrases (``wording``), written out in English beside them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from metrics.scoring.arithmetic import HUNDRED, ONE, ZERO, as_stress, clip, either
from metrics.scoring.inputs import ProjectInputs
from metrics.scoring.milestones import MilestoneFigures, milestone_figures
from metrics.scoring.policy import ScoringPolicy
from metrics.scoring.results import EarnedValue
from metrics.scoring.wording import (
    Words,
    english,
    gettext_noop,
    joined,
    money_num,
    ngettext,
    npgettext,
    num,
    pgettext,
    say,
    sentence,
    signed_num,
)


@dataclass(frozen=True, slots=True)
class Assessment:
    """A dimension's stress with its figure and sentence (the figures' abbreviated words are in the context
    "score figure": the same English reads differently in a full sentence)."""

    stress: Decimal  # already quantized
    figure: str
    text: str
    words: dict[str, Words]  # {"figure": ..., "text": ...}: the same as language-neutral phrases (``wording``)


def _assessment(stress: Decimal, figure: Words, text: Words) -> Assessment:
    return Assessment(stress, english(figure), english(text), {"figure": figure, "text": text})


def assess_time(
    inputs: ProjectInputs, ev: EarnedValue, policy: ScoringPolicy, figures: MilestoneFigures | None = None
) -> Assessment:
    """``figures``: the milestones' sums when the caller already took them (``milestone_figures``)."""
    milestones = inputs.milestones
    spi = ev.schedule_performance_index
    spi_words = (
        say(gettext_noop("SPI %(spi)s"), spi=num(spi, 2))
        if spi is not None
        else gettext_noop("SPI n/a (nothing planned to date)")
    )
    if not milestones:
        return _assessment(as_stress(ZERO), gettext_noop("no milestones"), gettext_noop("No milestones planned yet."))
    if figures is None:
        figures = milestone_figures(milestones, inputs.as_of)
    weighted_slip = figures.slip / figures.total
    slip_component = clip(weighted_slip / policy.slip_days_for_full_stress)
    spi_component = clip((ONE - spi) / (ONE - policy.spi_floor)) if spi is not None else ZERO
    stress = as_stress(either(slip_component, spi_component))

    late = figures.late
    late_words: Words
    if len(late) == 1:
        late_words = say(
            ngettext("1 milestone late by %(days)s day", "1 milestone late by %(days)s days", late[0]), days=late[0]
        )
    elif late:
        late_words = say(
            ngettext(
                "%(count)s milestone late, %(average)s days on average (worst %(worst)s)",
                "%(count)s milestones late, %(average)s days on average (worst %(worst)s)",
                len(late),
            ),
            count=len(late),
            average=num(Decimal(sum(late)) / len(late), 0),
            worst=max(late),
        )
    else:
        late_words = gettext_noop("no milestones late")
    figure = [say(gettext_noop("SPI %(spi)s"), spi=num(spi, 2)) if spi is not None else gettext_noop("SPI n/a")]
    if late:
        figure.append(say(pgettext("score figure", "%(count)s late"), count=len(late)))
    return _assessment(stress, joined(figure), sentence([late_words, spi_words], on_plan=stress == 0))


def assess_cost(inputs: ProjectInputs, ev: EarnedValue, policy: ScoringPolicy) -> Assessment:
    cpi = ev.cost_performance_index if inputs.cost_visible else None
    cpi_component = clip((ONE - cpi) / (ONE - policy.cpi_floor)) if cpi is not None else ZERO
    growth = (inputs.budget - inputs.original_budget) / inputs.original_budget if inputs.original_budget > 0 else ZERO
    growth_component = clip(growth / policy.budget_growth_for_full_stress)
    stress = as_stress(either(cpi_component, growth_component))

    parts: list[Words] = []
    figure: list[Words] = []
    if not inputs.cost_visible:
        if growth <= 0:
            figure.append(gettext_noop("budget as agreed"))
            parts.append(gettext_noop("budget as agreed"))
    elif cpi is None:
        parts.append(gettext_noop("no cost booked yet"))
        figure.append(gettext_noop("CPI n/a"))
    else:
        figure.append(say(gettext_noop("CPI %(cpi)s"), cpi=num(cpi, 2)))
        if cpi < 1:
            parts.append(
                say(
                    gettext_noop(
                        "CPI %(cpi)s: forecast %(eac)s at completion against a budget of %(bac)s (VAC %(vac)s)"
                    ),
                    cpi=num(cpi, 2),
                    eac=money_num(ev.estimate_at_completion),
                    bac=money_num(ev.budget_at_completion),
                    vac=money_num(ev.variance_at_completion),
                )
            )
        else:
            parts.append(
                say(
                    gettext_noop("CPI %(cpi)s, forecast %(eac)s at completion"),
                    cpi=num(cpi, 2),
                    eac=money_num(ev.estimate_at_completion),
                )
            )
    if growth > 0:
        percent = growth * HUNDRED
        parts.append(say(gettext_noop("budget up %(percent)s%% on the original baseline"), percent=num(percent, 1)))
        figure.append(say(pgettext("score figure", "budget %(change)s%%"), change=signed_num(percent, 1)))
    return _assessment(stress, joined(figure), sentence(parts, on_plan=stress == 0))


def assess_scope(inputs: ProjectInputs, policy: ScoringPolicy) -> Assessment:
    change = inputs.approved_scope_change_percent
    pending = max(0, inputs.pending_change_requests)
    change_component = clip(abs(change) / policy.scope_change_percent_for_full_stress)
    pending_component = min(policy.pending_change_request_stress_cap, policy.pending_change_request_stress * pending)
    stress = as_stress(either(change_component, pending_component))

    parts = [
        say(gettext_noop("approved scope change %(change)s%%"), change=signed_num(change, 1))
        if change != 0
        else gettext_noop("no approved scope change"),
        say(
            ngettext(
                "%(count)s change request awaiting client decision",
                "%(count)s change requests awaiting client decision",
                pending,
            ),
            count=pending,
        )
        if pending
        else gettext_noop("no change requests pending"),
    ]
    figure = say(
        pgettext("score figure", "%(change)s%% scope, %(pending)s pending"),
        change=signed_num(change, 1),
        pending=pending,
    )
    return _assessment(stress, figure, sentence(parts, on_plan=stress == 0))


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

    parts: list[Words] = []
    figure: list[Words] = []
    if rft_rate is not None:
        rate = num(rft_rate * HUNDRED, 0)
        parts.append(
            say(
                ngettext(
                    "RFT %(rate)s%% (%(right)s of %(count)s batch)",
                    "RFT %(rate)s%% (%(right)s of %(count)s batches)",
                    total,
                ),
                rate=rate,
                right=rft,
                count=total,
            )
        )
        figure.append(say(gettext_noop("RFT %(rate)s%%"), rate=rate))
    else:
        parts.append(gettext_noop("no batch outcomes yet"))
        figure.append(gettext_noop("RFT n/a"))
    open_deviations = [
        say(message, count=count)
        for count, message in (
            (critical, npgettext("open deviations", "%(count)s critical", "%(count)s critical", critical)),
            (major, npgettext("open deviations", "%(count)s major", "%(count)s major", major)),
            (minor, npgettext("open deviations", "%(count)s minor", "%(count)s minor", minor)),
        )
        if count
    ]
    if open_deviations:
        parts.append(say(gettext_noop("open deviations: %(counts)s"), counts=joined(open_deviations)))
        figure.append(say(pgettext("score figure", "%(count)s open dev."), count=minor + major + critical))
    else:
        parts.append(gettext_noop("no open deviations"))
    if capas:
        parts.append(say(ngettext("%(count)s CAPA overdue", "%(count)s CAPAs overdue", capas), count=capas))
        figure.append(say(pgettext("score figure", "%(count)s CAPA overdue"), count=capas))
    else:
        parts.append(gettext_noop("no overdue CAPAs"))
    if impacts:
        critical_changes, major_changes, minor_changes = (impacts.count(s) for s in ("critical", "major", "minor"))
        counted = [
            say(message, count=count)
            for count, message in (
                (
                    critical_changes,
                    npgettext("approved changes", "%(count)s critical", "%(count)s critical", critical_changes),
                ),
                (major_changes, npgettext("approved changes", "%(count)s major", "%(count)s major", major_changes)),
                (minor_changes, npgettext("approved changes", "%(count)s minor", "%(count)s minor", minor_changes)),
            )
            if count
        ]
        parts.append(say(gettext_noop("approved changes with quality impact: %(counts)s"), counts=joined(counted)))
    if critical:
        parts.append(
            say(
                gettext_noop("an open critical deviation holds quality stress at %(floor)s or more"),
                floor=num(policy.critical_deviation_min_stress, 2),
            )
        )
    return _assessment(stress, joined(figure), sentence(parts, on_plan=stress == 0))


def assess_satisfaction(inputs: ProjectInputs, policy: ScoringPolicy) -> Assessment:
    csat, nps, previous = inputs.csat_latest, inputs.nps, inputs.nps_previous
    if csat is None and nps is None:
        return _assessment(as_stress(ZERO), gettext_noop("no survey"), gettext_noop("No survey yet."))
    components: list[Decimal] = []
    parts: list[Words] = []
    figures: list[Words] = []
    if csat is not None:
        components.append(clip((Decimal(5) - csat) / Decimal(4)))
        parts.append(say(gettext_noop("CSAT %(csat)s/5"), csat=num(csat, 1)))
        figures.append(say(gettext_noop("CSAT %(csat)s"), csat=num(csat, 1)))
    trend_component = ZERO
    if nps is not None:
        components.append(clip((HUNDRED - nps) / Decimal(200)))
        score = num(nps, 0)
        figures.append(say(gettext_noop("NPS %(nps)s"), nps=score))
        nps_words = say(gettext_noop("NPS %(nps)s"), nps=score)
        if previous is not None:
            if nps < previous:
                trend_component = clip((previous - nps) / policy.nps_drop_for_full_stress)
                nps_words = say(
                    gettext_noop("NPS %(nps)s, down %(change)s from %(previous)s"),
                    nps=score,
                    change=num(previous - nps, 0),
                    previous=num(previous, 0),
                )
            elif nps > previous:
                nps_words = say(
                    gettext_noop("NPS %(nps)s, up %(change)s from %(previous)s"),
                    nps=score,
                    change=num(nps - previous, 0),
                    previous=num(previous, 0),
                )
            else:
                nps_words = say(
                    gettext_noop("NPS %(nps)s, unchanged from %(previous)s"), nps=score, previous=num(previous, 0)
                )
        parts.append(nps_words)
    level = sum(components, ZERO) / len(components)
    stress = as_stress(either(level, trend_component))
    return _assessment(stress, joined(figures), sentence(parts, on_plan=stress == 0))


def assess_risk_register(inputs: ProjectInputs, policy: ScoringPolicy) -> Assessment:
    exposures = [max(0, e) for e in inputs.open_risk_exposures]
    total = sum(exposures)
    stress = as_stress(Decimal(total) / policy.exposure_for_full_stress)
    if not exposures:
        return _assessment(
            stress, gettext_noop("no open risks"), sentence([gettext_noop("no open risks")], on_plan=True)
        )
    text = say(
        ngettext(
            "%(count)s open risk, total exposure %(total)s (top exposure %(top)s of 25)",
            "%(count)s open risks, total exposure %(total)s (top exposure %(top)s of 25)",
            len(exposures),
        ),
        count=len(exposures),
        total=total,
        top=max(exposures),
    )
    return _assessment(
        stress, say(pgettext("score figure", "exposure %(total)s"), total=total), sentence([text], on_plan=stress == 0)
    )
