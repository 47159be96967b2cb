"""What a project's status report shows for a period, read as its reader.

Every record is read through ``Model.objects.for_user(reader)`` and the reader's score lens, so a client's report
holds only what that client may see (nothing is filtered out afterwards). The client's version issued by the PM is
read as ``clients.access.client_reader(client)``: the client's role, not a person (docs/decisions.md). A fixed number
of queries whatever the number of milestones, records or answers.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from clients.access import client_reader  # noqa: F401 -- the reader of the issued report, importable from here too
from clients.models import User
from metrics.scores.models import ScoreSnapshot
from metrics.scores.selectors import visible_result
from metrics.surveys.models import SurveyResponse
from metrics.surveys.satisfaction import DETRACTOR_MAX, PROMOTER_MIN, SATISFIED_MIN, CsatSummary, NpsSummary
from metrics.surveys.selectors import _response_counts
from projects.milestones.selectors import milestone_rows
from projects.models import (
    Batch,
    BatchOutcome,
    ChangeRequest,
    ChangeRequestStatus,
    CostEntry,
    Invoice,
    Issue,
    Milestone,
    MilestoneDependency,
    Project,
    QualityEvent,
    Risk,
)
from projects.records import project_get
from projects.schedule_change import moves_with_change

#: The default period: the last two weeks up to today.
DEFAULT_DAYS = 14
#: The longest period a report covers, days.
MAX_PERIOD_DAYS = 366


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last ``DEFAULT_DAYS`` days up to and including today."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


@dataclass
class SlipRow:
    milestone: Milestone
    slip_days: int
    reasons: list[str]


@dataclass
class Satisfaction:
    period: CsatSummary
    period_nps: NpsSummary
    to_date: CsatSummary
    to_date_nps: NpsSummary


@dataclass
class StatusReport:
    project: Project
    reader: User
    start: dt.date
    end: dt.date
    is_internal: bool  # the CMO's full report (internal records, cost) rather than the client's
    done: list[Milestone]
    due: list[Milestone]  # open milestones forecast by the period's end (overdue ones included)
    slips: list[SlipRow]
    change_requests: list[ChangeRequest]
    batches: list[Batch]
    batch_summary: dict
    quality_events: list[QualityEvent]
    quality_summary: dict
    risks: list[Risk]
    issues: list[Issue]
    invoices: list[Invoice]
    invoiced: Decimal
    costs: list[CostEntry] = field(default_factory=list)  # internal: staff only (CostEntry is staff-only)
    cost_total: Decimal = Decimal(0)
    snapshot: ScoreSnapshot | None = None
    score: dict | None = None  # the snapshot's result as the reader may see it (reasons included)
    satisfaction: Satisfaction | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _in(start: dt.date, end: dt.date, name: str) -> Q:
    return Q(**{f"{name}__gte": start, f"{name}__lte": end})


def _on_days(start: dt.date, end: dt.date, name: str) -> Q:
    """A datetime column within the period's days (the project's time zone)."""
    return Q(**{f"{name}__date__gte": start, f"{name}__date__lte": end})


def _slip_reasons(milestone: Milestone, at_risk_because: str, changes: list[ChangeRequest]) -> list[str]:
    """Why a milestone is late: the approved change requests that moved it and a late predecessor."""
    reasons = []
    for change in changes:
        if change.status != ChangeRequestStatus.APPROVED or not change.schedule_impact_days:
            continue
        selected = {m.pk for m in change.moved_milestones.all()} or None
        decided = change.decided_at.date() if change.decided_at else None
        open_then = milestone.actual_date is None or (decided is not None and milestone.actual_date >= decided)
        moved = moves_with_change(
            milestone_id=milestone.pk,
            baseline_date=milestone.baseline_date,
            forecast_date=milestone.forecast_date,
            actual_date=None if open_then else milestone.actual_date,
            selected=selected,
        )
        if moved:
            days = change.schedule_impact_days
            reasons.append(
                _("Change request CR-%(number)s “%(title)s” approved: %(days)s days")
                % {"number": change.number, "title": change.title, "days": f"{days:+d}"}
            )
    if at_risk_because:
        reasons.append(_("Waiting on a predecessor: %(reason)s") % {"reason": at_risk_because})
    return reasons


def status_report(*, user, project_id: int, start: dt.date, end: dt.date) -> StatusReport:
    """The report of ``project_id`` for ``start``..``end`` (days, inclusive) as ``user`` may see it;
    ``Project.DoesNotExist`` when the project is not in the user's scope (callers answer 404)."""
    project = project_get(user=user, pk=project_id)
    milestones = list(Milestone.objects.for_user(user).filter(project=project).order_by("sequence"))
    links = list(MilestoneDependency.objects.filter(successor__project=project))
    rows = milestone_rows(milestones, links)
    changes = list(
        ChangeRequest.objects.for_user(user)
        .filter(project=project)
        .prefetch_related(Prefetch("moved_milestones", queryset=Milestone.objects.only("pk")))
        .order_by("number")
    )
    slips = [
        SlipRow(row.milestone, row.milestone.slip_days, _slip_reasons(row.milestone, row.at_risk_because, changes))
        for row in rows
        if row.milestone.slip_days > 0
        and (row.milestone.actual_date is None or start <= row.milestone.actual_date <= end)
    ]
    reported_changes = [
        c
        for c in changes
        if c.status == ChangeRequestStatus.SUBMITTED
        or any(
            moment is not None and start <= timezone.localdate(moment) <= end
            for moment in (c.created_at, c.submitted_at, c.decided_at)
        )
    ]

    batches_qs = Batch.objects.for_user(user).filter(project=project)
    batches = list(batches_qs.filter(_in(start, end, "planned_date") | _in(start, end, "actual_date")))
    batch_summary = batches_qs.filter(_in(start, end, "actual_date")).aggregate(
        decided_count=Count("pk", filter=~Q(outcome=BatchOutcome.PENDING)),
        released_count=Count("pk", filter=Q(outcome=BatchOutcome.RELEASED)),
        rejected_count=Count("pk", filter=Q(outcome=BatchOutcome.REJECTED)),
        right_first_time_count=Count("pk", filter=~Q(outcome=BatchOutcome.PENDING) & Q(right_first_time=True)),
    )
    events_qs = QualityEvent.objects.for_user(user).filter(project=project)
    quality_events = list(
        events_qs.filter(
            _in(start, end, "opened") | _in(start, end, "closed") | Q(closed__isnull=True, opened__lte=end)
        )
        .select_related("batch")
        .order_by("opened", "reference")
    )
    quality_summary = events_qs.aggregate(
        opened_count=Count("pk", filter=_in(start, end, "opened")),
        closed_count=Count("pk", filter=_in(start, end, "closed")),
        open_count=Count("pk", filter=Q(closed__isnull=True, opened__lte=end)),
        overdue_count=Count("pk", filter=Q(closed__isnull=True, due__lt=end)),
    )
    risks = sorted(
        Risk.objects.for_user(user).filter(project=project, status="open").select_related("owner"),
        key=lambda r: (-r.probability * r.impact, r.title),
    )
    issues = list(
        Issue.objects.for_user(user)
        .filter(project=project)
        .filter(Q(resolved_at__isnull=True) | _on_days(start, end, "resolved_at") | _on_days(start, end, "opened_at"))
        .order_by("opened_at", "pk")
    )
    invoices = list(Invoice.objects.for_user(user).filter(project=project).filter(_in(start, end, "date")))
    costs = list(CostEntry.objects.for_user(user).filter(project=project).filter(_in(start, end, "date")))
    snapshot = ScoreSnapshot.objects.for_user(user).filter(project=project).order_by("-bucket").first()
    return StatusReport(
        project=project,
        reader=user,
        start=start,
        end=end,
        is_internal=access.can_see_internal(user),
        done=[m for m in milestones if m.actual_date and start <= m.actual_date <= end],
        due=[m for m in milestones if m.actual_date is None and m.forecast_date and m.forecast_date <= end],
        slips=slips,
        change_requests=reported_changes,
        batches=batches,
        batch_summary=batch_summary,
        quality_events=quality_events,
        quality_summary=quality_summary,
        risks=risks,
        issues=issues,
        invoices=invoices,
        invoiced=sum((i.amount for i in invoices), Decimal(0)),
        costs=costs,
        cost_total=sum((c.amount for c in costs), Decimal(0)),
        snapshot=snapshot,
        score=visible_result(user, snapshot.result) if snapshot else None,
        satisfaction=_satisfaction(user, project, start, end),
    )


def _satisfaction(user, project: Project, start: dt.date, end: dt.date) -> Satisfaction:
    """CSAT and NPS of the project's survey answers in the period and to date (one query)."""
    counts = _response_counts()
    in_period = _on_days(start, end, "answered_at")
    row = (
        SurveyResponse.objects.for_user(user)
        .filter(project=project, answered_at__date__lte=end)
        .aggregate(
            **counts,
            period_responses=Count("pk", filter=in_period),
            period_promoters=Count("pk", filter=in_period & Q(nps__gte=PROMOTER_MIN)),
            period_detractors=Count("pk", filter=in_period & Q(nps__lte=DETRACTOR_MAX)),
            period_csat_total=Sum("csat_overall", filter=in_period),
            period_satisfied=Count("pk", filter=in_period & Q(csat_overall__gte=SATISFIED_MIN)),
        )
    )

    def summaries(prefix: str) -> tuple[CsatSummary, NpsSummary]:
        responses = row[f"{prefix}responses"]
        promoters, detractors = row[f"{prefix}promoters"], row[f"{prefix}detractors"]
        return (
            CsatSummary(responses, row[f"{prefix}csat_total"] or 0, row[f"{prefix}satisfied"]),
            NpsSummary(promoters, responses - promoters - detractors, detractors),
        )

    period_csat, period_nps = summaries("period_")
    to_date_csat, to_date_nps = summaries("")
    return Satisfaction(period=period_csat, period_nps=period_nps, to_date=to_date_csat, to_date_nps=to_date_nps)
