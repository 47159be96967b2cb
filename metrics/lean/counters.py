"""Lean counters of CMO projects per quarter, from the rows the roll-up fetches (docs/lean.md).

Pure Python on purpose (no Django imports), like ``metrics/scoring/``: the roll-up
(``metrics/lean/services.py``) fetches rows for many projects at once, this module turns them into
per-quarter counters (``LeanTotals``), and any grouping (client, PM, service type, quarter) adds the
counters up before ``metrics.lean.measures.lean_figures`` divides. Rates are never averaged.

The industry has no single definition of these measures; the ones used here, their units and
their sources are in docs/lean.md. Times: dates give whole days; timestamps give days or hours to
0.01. Percentages are reported to 0.1, ratios to 0.01, all ROUND_HALF_UP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal

from metrics.quarters import quarter_of, split_by_quarter

RATIO = Decimal("0.01")
ZERO = Decimal(0)
SECONDS_PER_DAY = Decimal(86400)
SECONDS_PER_HOUR = Decimal(3600)
RELEASED = "released"
PENDING = "pending"
CHANGE_REQUEST_WAITING_STATUSES = ("submitted", "approved", "rejected")


# --- Inputs (rows fetched by the roll-up) ----------------------------------------------------


@dataclass(frozen=True)
class LeanMilestone:
    sequence: int
    name: str
    baseline_date: dt.date | None
    actual_date: dt.date | None
    duration_days: int
    value_adding: bool


@dataclass(frozen=True)
class LeanBatch:
    planned_date: dt.date
    actual_date: dt.date | None
    outcome: str
    right_first_time: bool


@dataclass(frozen=True)
class LeanChangeRequest:
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    status: str


@dataclass(frozen=True)
class LeanComment:
    created: dt.datetime
    by_client: bool


@dataclass(frozen=True)
class LeanIssue:
    """A shared issue: whose move it is flips with each comment (a client comment → the CMO's move)."""

    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    comments: tuple[LeanComment, ...] = ()


@dataclass(frozen=True)
class LeanProjectData:
    project_id: int
    start_date: dt.date
    milestones: tuple[LeanMilestone, ...] = ()
    batches: tuple[LeanBatch, ...] = ()
    change_requests: tuple[LeanChangeRequest, ...] = ()
    issues: tuple[LeanIssue, ...] = ()


# --- Counters per project and quarter -----------------------------------------------------------


@dataclass(frozen=True)
class LeanTotals:
    """Counters and sums for one quarter (of one project, or of any group once added up)."""

    milestones_completed: int = 0
    milestones_on_time: int = 0
    batches_completed: int = 0
    batches_on_time: int = 0
    batches_right_first_time: int = 0
    batches_otif: int = 0
    phases_completed: int = 0
    phase_days: int = 0
    value_adding_days: int = 0
    planned_phases: int = 0
    planned_phase_days: int = 0
    planned_phase_actual_days: int = 0
    projects_finished: int = 0
    lead_time_days: int = 0
    client_wait_days: Decimal = ZERO
    cmo_wait_days: Decimal = ZERO
    change_request_client_wait_days: Decimal = ZERO
    issue_client_wait_days: Decimal = ZERO
    issues_responded: int = 0
    issue_response_hours: Decimal = ZERO
    issues_resolved: int = 0
    issue_resolution_hours: Decimal = ZERO

    def __add__(self, other: LeanTotals) -> LeanTotals:
        return LeanTotals(**{name: getattr(self, name) + getattr(other, name) for name in TOTAL_FIELDS})

    @property
    def is_empty(self) -> bool:
        return all(not getattr(self, name) for name in TOTAL_FIELDS)


TOTAL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LeanTotals))


def total_of(rows: list[LeanTotals]) -> LeanTotals:
    result = LeanTotals()
    for row in rows:
        result = result + row
    return result


@dataclass
class _Accumulator:
    counts: dict[str, int] = field(default_factory=dict)
    durations: dict[str, dt.timedelta] = field(default_factory=dict)

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def duration(self, name: str, amount: dt.timedelta) -> None:
        self.durations[name] = self.durations.get(name, dt.timedelta(0)) + amount


def _days(amount: dt.timedelta) -> Decimal:
    return (Decimal(int(amount.total_seconds())) / SECONDS_PER_DAY).quantize(RATIO, ROUND_HALF_UP)


def _hours(amount: dt.timedelta) -> Decimal:
    return (Decimal(int(amount.total_seconds())) / SECONDS_PER_HOUR).quantize(RATIO, ROUND_HALF_UP)


@dataclass(frozen=True)
class PhaseCycle:
    """A milestone seen as a phase: it starts when the latest earlier milestone was completed."""

    sequence: int
    name: str
    started: dt.date
    completed: dt.date
    actual_days: int
    planned_days: int
    value_adding: bool

    @property
    def variance_days(self) -> int | None:
        return self.actual_days - self.planned_days if self.planned_days else None


def phase_cycles(data: LeanProjectData) -> list[PhaseCycle]:
    """Cycle time of each completed phase against its template duration (days)."""
    phases = []
    latest_completion = data.start_date
    for milestone in sorted(data.milestones, key=lambda m: m.sequence):
        if milestone.actual_date is None:
            continue
        started = latest_completion
        phases.append(
            PhaseCycle(
                sequence=milestone.sequence,
                name=milestone.name,
                started=started,
                completed=milestone.actual_date,
                actual_days=max(0, (milestone.actual_date - started).days),
                planned_days=milestone.duration_days,
                value_adding=milestone.value_adding,
            )
        )
        latest_completion = max(latest_completion, milestone.actual_date)
    return phases


def _milestone_counters(data: LeanProjectData, buckets: dict[dt.date, _Accumulator]) -> None:
    def at(day: dt.date) -> _Accumulator:
        return buckets.setdefault(quarter_of(day), _Accumulator())

    for milestone in data.milestones:
        if milestone.actual_date is not None and milestone.baseline_date is not None:
            acc = at(milestone.actual_date)
            acc.count("milestones_completed")
            if milestone.actual_date <= milestone.baseline_date:
                acc.count("milestones_on_time")
    for phase in phase_cycles(data):
        acc = at(phase.completed)
        acc.count("phases_completed")
        acc.count("phase_days", phase.actual_days)
        if phase.value_adding:
            acc.count("value_adding_days", phase.actual_days)
        if phase.planned_days > 0:
            acc.count("planned_phases")
            acc.count("planned_phase_days", phase.planned_days)
            acc.count("planned_phase_actual_days", phase.actual_days)
    if data.milestones:
        final = max(data.milestones, key=lambda m: m.sequence)
        if final.actual_date is not None:
            acc = at(final.actual_date)
            acc.count("projects_finished")
            acc.count("lead_time_days", max(0, (final.actual_date - data.start_date).days))


def _batch_counters(data: LeanProjectData, buckets: dict[dt.date, _Accumulator]) -> None:
    for batch in data.batches:
        if batch.outcome == PENDING:
            continue
        acc = buckets.setdefault(quarter_of(batch.actual_date or batch.planned_date), _Accumulator())
        on_time = batch.actual_date is not None and batch.actual_date <= batch.planned_date
        right_first_time = batch.outcome == RELEASED and batch.right_first_time
        acc.count("batches_completed")
        acc.count("batches_on_time", int(on_time))
        acc.count("batches_right_first_time", int(right_first_time))
        acc.count("batches_otif", int(on_time and right_first_time))


def _wait(buckets: dict[dt.date, _Accumulator], names: tuple[str, ...], start: dt.datetime, end: dt.datetime) -> None:
    for quarter, part in split_by_quarter(start, end).items():
        acc = buckets.setdefault(quarter, _Accumulator())
        for name in names:
            acc.duration(name, part)


def _change_request_waits(data: LeanProjectData, now: dt.datetime, buckets: dict[dt.date, _Accumulator]) -> None:
    for change in data.change_requests:
        if change.submitted_at is None:
            continue  # a draft is the CMO's work in progress, not yet a wait
        _wait(buckets, ("cmo_wait",), change.created_at, change.submitted_at)
        if change.status in CHANGE_REQUEST_WAITING_STATUSES:
            end = change.decided_at or now
            _wait(buckets, ("client_wait", "change_request_client_wait"), change.submitted_at, end)


def _issue_counters(data: LeanProjectData, now: dt.datetime, buckets: dict[dt.date, _Accumulator]) -> None:
    for issue in data.issues:
        end = issue.resolved_at or now
        waiting_on_client, since = False, issue.opened_at
        for comment in sorted(issue.comments, key=lambda c: c.created):
            moment = min(max(comment.created, issue.opened_at), end)
            names = ("client_wait", "issue_client_wait") if waiting_on_client else ("cmo_wait",)
            _wait(buckets, names, since, moment)
            waiting_on_client, since = not comment.by_client, moment
        names = ("client_wait", "issue_client_wait") if waiting_on_client else ("cmo_wait",)
        _wait(buckets, names, since, end)
        if issue.first_response_at is not None:
            acc = buckets.setdefault(quarter_of(issue.first_response_at), _Accumulator())
            acc.count("issues_responded")
            acc.duration("issue_response", max(dt.timedelta(0), issue.first_response_at - issue.opened_at))
        if issue.resolved_at is not None:
            acc = buckets.setdefault(quarter_of(issue.resolved_at), _Accumulator())
            acc.count("issues_resolved")
            acc.duration("issue_resolution", max(dt.timedelta(0), issue.resolved_at - issue.opened_at))


def project_quarter_totals(data: LeanProjectData, *, now: dt.datetime) -> dict[dt.date, LeanTotals]:
    """The project's Lean counters per quarter; waits still running are counted up to ``now``."""
    buckets: dict[dt.date, _Accumulator] = {}
    _milestone_counters(data, buckets)
    _batch_counters(data, buckets)
    _change_request_waits(data, now, buckets)
    _issue_counters(data, now, buckets)
    result = {}
    for quarter, acc in sorted(buckets.items()):
        d = acc.durations
        totals = LeanTotals(
            **acc.counts,
            client_wait_days=_days(d.get("client_wait", dt.timedelta(0))),
            cmo_wait_days=_days(d.get("cmo_wait", dt.timedelta(0))),
            change_request_client_wait_days=_days(d.get("change_request_client_wait", dt.timedelta(0))),
            issue_client_wait_days=_days(d.get("issue_client_wait", dt.timedelta(0))),
            issue_response_hours=_hours(d.get("issue_response", dt.timedelta(0))),
            issue_resolution_hours=_hours(d.get("issue_resolution", dt.timedelta(0))),
        )
        if not totals.is_empty:
            result[quarter] = totals
    return result
