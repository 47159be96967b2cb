"""Lean measures (docs/lean.md): their definitions, and the figures computed from a quarter's counters.

Pure Python on purpose (no Django imports), like ``metrics/scoring/``. Rates are computed from
added-up counters (``metrics.lean.counters.LeanTotals``), never averaged. Percentages are reported to
0.1, ratios to 0.01, all ROUND_HALF_UP.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from metrics.lean.counters import RATIO, LeanTotals

PERCENT = Decimal("0.1")


def gettext_noop(message: str) -> str:
    """Marks ``message`` for makemessages (this module stays free of Django); translated where it is shown
    (``metrics.lean.selectors.metrics_shown``)."""
    return message


Better = Literal["higher", "lower", "neutral"]


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    label: str
    unit: str
    better: Better
    definition: str


METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        "on_time_milestone_rate",
        gettext_noop("On-time milestones"),
        "%",
        "higher",
        gettext_noop(
            "Completed milestones finished on or before their baseline date ÷ completed milestones with a baseline."
        ),
    ),
    MetricDefinition(
        "otif_rate",
        gettext_noop("OTIF batches"),
        "%",
        "higher",
        gettext_noop("Batches released right first time on or before their planned date ÷ batches with an outcome."),
    ),
    MetricDefinition(
        "right_first_time_rate",
        gettext_noop("Right first time"),
        "%",
        "higher",
        gettext_noop("Batches released right first time ÷ batches with an outcome (released or rejected)."),
    ),
    MetricDefinition(
        "mean_phase_days",
        gettext_noop("Cycle time per phase"),
        gettext_noop("days"),
        "lower",
        gettext_noop("Mean days from the previous milestone's completion to this milestone's completion."),
    ),
    MetricDefinition(
        "cycle_time_ratio",
        gettext_noop("Cycle time vs template"),
        "×",
        "lower",
        gettext_noop(
            "Σ actual cycle time ÷ Σ template duration of completed phases that have one (1.00 = as planned)."
        ),
    ),
    MetricDefinition(
        "mean_lead_time_days",
        gettext_noop("Lead time"),
        gettext_noop("days"),
        "lower",
        gettext_noop("Days from project start to completion of its final milestone (projects finished in the period)."),
    ),
    MetricDefinition(
        "process_cycle_efficiency",
        gettext_noop("Process cycle efficiency"),
        "%",
        "higher",
        gettext_noop(
            "Cycle time of value-adding phases ÷ total cycle time of completed phases (= lead time once finished)."
        ),
    ),
    MetricDefinition(
        "client_wait_days",
        gettext_noop("Waiting on the client"),
        gettext_noop("days"),
        "neutral",
        gettext_noop(
            "Days change requests awaited the client's decision plus days shared issues awaited the client's reply."
        ),
    ),
    MetricDefinition(
        "cmo_wait_days",
        gettext_noop("Waiting on the CMO"),
        gettext_noop("days"),
        "lower",
        gettext_noop(
            "Days change requests were drafted before submission plus days shared issues awaited the CMO's move."
        ),
    ),
    MetricDefinition(
        "mean_issue_response_hours",
        gettext_noop("Issue first response"),
        gettext_noop("hours"),
        "lower",
        gettext_noop("Mean hours from a shared issue being opened to the CMO's first response."),
    ),
    MetricDefinition(
        "mean_issue_resolution_hours",
        gettext_noop("Issue resolution"),
        gettext_noop("hours"),
        "lower",
        gettext_noop("Mean hours from a shared issue being opened to its resolution."),
    ),
)
METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)


def _ratio(numerator: int | Decimal, denominator: int | Decimal, scale: int, quantum: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(quantum, ROUND_HALF_UP)


@dataclass(frozen=True)
class LeanFigures:
    on_time_milestone_rate: Decimal | None
    otif_rate: Decimal | None
    right_first_time_rate: Decimal | None
    mean_phase_days: Decimal | None
    cycle_time_ratio: Decimal | None
    mean_lead_time_days: Decimal | None
    process_cycle_efficiency: Decimal | None
    client_wait_days: Decimal | None
    cmo_wait_days: Decimal | None
    mean_issue_response_hours: Decimal | None
    mean_issue_resolution_hours: Decimal | None

    def as_dict(self) -> dict[str, Decimal | None]:
        return {key: getattr(self, key) for key in METRIC_KEYS}


def lean_figures(totals: LeanTotals) -> LeanFigures:
    """Rates and means of a quarter's counters (None where there is nothing to measure)."""
    t = totals
    has_waits = bool(t.client_wait_days or t.cmo_wait_days)
    return LeanFigures(
        on_time_milestone_rate=_ratio(t.milestones_on_time, t.milestones_completed, 100, PERCENT),
        otif_rate=_ratio(t.batches_otif, t.batches_completed, 100, PERCENT),
        right_first_time_rate=_ratio(t.batches_right_first_time, t.batches_completed, 100, PERCENT),
        mean_phase_days=_ratio(t.phase_days, t.phases_completed, 1, PERCENT),
        cycle_time_ratio=_ratio(t.planned_phase_actual_days, t.planned_phase_days, 1, RATIO),
        mean_lead_time_days=_ratio(t.lead_time_days, t.projects_finished, 1, PERCENT),
        process_cycle_efficiency=_ratio(t.value_adding_days, t.phase_days, 100, PERCENT),
        client_wait_days=t.client_wait_days if has_waits else None,
        cmo_wait_days=t.cmo_wait_days if has_waits else None,
        mean_issue_response_hours=_ratio(t.issue_response_hours, t.issues_responded, 1, PERCENT),
        mean_issue_resolution_hours=_ratio(t.issue_resolution_hours, t.issues_resolved, 1, PERCENT),
    )


@dataclass(frozen=True)
class Trend:
    """One metric this quarter against the previous one; ``improved`` is None when neither better nor worse."""

    key: str
    current: Decimal | None
    previous: Decimal | None
    change: Decimal | None
    improved: bool | None


def lean_trends(current: LeanFigures, previous: LeanFigures) -> dict[str, Trend]:
    """Change of every metric against the previous quarter (Lean: cycle and lead times should fall)."""
    trends = {}
    for metric in METRICS:
        now_value, before = getattr(current, metric.key), getattr(previous, metric.key)
        change = None if now_value is None or before is None else now_value - before
        improved = None
        if change and metric.better != "neutral":
            improved = (change > 0) == (metric.better == "higher")
        trends[metric.key] = Trend(metric.key, now_value, before, change, improved)
    return trends
