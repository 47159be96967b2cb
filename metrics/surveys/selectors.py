"""Reads of survey answers, set-based: the scores' satisfaction inputs, the staff report, a client's history.

A period is a calendar quarter: a round belongs to the quarter it was opened in. The reads take the
user and start from ``for_user``; each returns in a fixed number of queries.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from metrics.groupings import GROUPINGS, group_label, portfolio_projects
from metrics.quarters import previous_quarter, quarter_label, quarter_of, recent_quarters
from metrics.surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from metrics.surveys.satisfaction import (
    DETRACTOR_MAX,
    PROMOTER_MIN,
    SATISFIED_MIN,
    CsatSummary,
    NpsSummary,
    change,
    csat_mean,
    net_promoter_score,
    percent,
)


def _response_counts():
    return {
        "responses": Count("pk"),
        "promoters": Count("pk", filter=Q(nps__gte=PROMOTER_MIN)),
        "detractors": Count("pk", filter=Q(nps__lte=DETRACTOR_MAX)),
        "csat_total": Sum("csat_overall"),
        "satisfied": Count("pk", filter=Q(csat_overall__gte=SATISFIED_MIN)),
    }


def scoring_satisfaction_inputs(project_ids: list[int], as_of: dt.date) -> dict[int, dict]:
    """Per project: mean overall CSAT and NPS of its latest quarter with answers (up to ``as_of``),
    and NPS of the quarter before that one — the scores' satisfaction inputs. One query.

    Internal: callers scope the ids first.
    """
    rows = (
        SurveyResponse.objects.filter(project_id__in=project_ids, quarter__lte=quarter_of(as_of))
        .values("project_id", "quarter")
        .annotate(**_response_counts())
        .order_by("project_id", "-quarter")
    )
    by_project: dict[int, dict[dt.date, dict]] = defaultdict(dict)
    for row in rows:
        by_project[row["project_id"]][row["quarter"]] = row
    result = {}
    for project_id, quarters in by_project.items():
        latest = max(quarters)
        row = quarters[latest]
        before = quarters.get(previous_quarter(latest))
        result[project_id] = {
            "csat": csat_mean(total=row["csat_total"] or 0, responses=row["responses"]),
            "nps": net_promoter_score(
                promoters=row["promoters"], detractors=row["detractors"], responses=row["responses"]
            ),
            "nps_previous": None
            if before is None
            else net_promoter_score(
                promoters=before["promoters"], detractors=before["detractors"], responses=before["responses"]
            ),
            "quarter": latest,
        }
    return result


@dataclass
class SatisfactionRow:
    key: object
    label: str
    nps: NpsSummary
    csat: CsatSummary
    invited: int = 0
    answered: int = 0
    previous_nps: Decimal | None = None
    previous_csat: Decimal | None = None
    project_id: int | None = None

    @property
    def response_rate(self) -> Decimal | None:
        """Answered ÷ invited in the quarter's rounds, %."""
        return percent(self.answered, self.invited)

    @property
    def nps_change(self) -> Decimal | None:
        return change(self.nps.nps, self.previous_nps)

    @property
    def csat_change(self) -> Decimal | None:
        return change(self.csat.mean, self.previous_csat)


def satisfaction_report(*, user, by: str, quarter: dt.date, quarters_shown: int = 8) -> list[SatisfactionRow]:
    """Satisfaction of the user's portfolio in ``quarter`` grouped by client, project, PM or service type,
    with the previous quarter for the trend; ``by="quarter"`` gives the last ``quarters_shown`` quarters.

    Two queries (answers grouped, invitations grouped) whatever the number of rows.
    """
    keys = GROUPINGS[by]
    if by == "quarter":
        periods = recent_quarters(quarter, quarters_shown)
        period_filter = {"quarter__in": [previous_quarter(periods[0]), *periods]}
    else:
        periods = [quarter]
        period_filter = {"quarter__in": [previous_quarter(quarter), quarter]}
    responses = portfolio_projects(SurveyResponse.objects.for_user(user), user).filter(**period_filter)
    current: dict[object, dict] = {}
    previous: dict[object, dict] = {}
    for row in responses.values(*keys, "quarter").annotate(**_response_counts()).order_by():
        key, label = group_label(by, row)
        in_period = row["quarter"] in periods if by == "quarter" else row["quarter"] == quarter
        (current if in_period else previous)[key] = row | {"label": label}
    invitations = portfolio_projects(SurveyInvitation.objects.for_user(user), user).filter(
        **{f"round__{k}": v for k, v in period_filter.items()}
    )
    invited: dict[object, tuple[int, int]] = {}
    for row in (
        invitations.values(*keys, "round__quarter")
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED)))
        .order_by()
    ):
        row["quarter"] = row["round__quarter"]
        key, label = group_label(by, row)
        if row["quarter"] not in periods:
            continue
        invited[key] = (row["invited"], row["answered"])
        current.setdefault(key, {"label": label, "responses": 0})
    rows = []
    for key, row in current.items():
        if by == "quarter":
            earlier = current.get(previous_quarter(key)) or previous.get(previous_quarter(key))
        else:
            earlier = previous.get(key)
        rows.append(
            SatisfactionRow(
                key=key,
                label=row["label"],
                nps=_nps_of(row),
                csat=_csat_of(row),
                invited=invited.get(key, (0, 0))[0],
                answered=invited.get(key, (0, 0))[1],
                previous_nps=_nps_of(earlier).nps if earlier else None,
                previous_csat=_csat_of(earlier).mean if earlier else None,
                project_id=key if by == "project" else None,
            )
        )
    if by == "quarter":
        rows.sort(key=lambda r: r.key, reverse=True)
    else:
        rows.sort(key=lambda r: str(r.label).lower())
    return rows


def _nps_of(row: dict) -> NpsSummary:
    responses = row.get("responses", 0)
    promoters, detractors = row.get("promoters", 0), row.get("detractors", 0)
    return NpsSummary(promoters, responses - promoters - detractors, detractors)


def _csat_of(row: dict) -> CsatSummary:
    return CsatSummary(row.get("responses", 0), row.get("csat_total") or 0, row.get("satisfied", 0))


@dataclass
class HistoryRow:
    project_id: int
    project_code: str
    project_name: str
    quarter: dt.date
    nps: NpsSummary
    csat: CsatSummary
    aspects: dict[str, Decimal | None]

    @property
    def quarter_label(self) -> str:
        return quarter_label(self.quarter)


ASPECTS = (
    ("csat_communication", _("Communication")),
    ("csat_responsiveness", _("Responsiveness")),
    ("csat_quality", _("Quality")),
    ("csat_schedule", _("Schedule")),
)


def satisfaction_history(*, user, limit_quarters: int = 8) -> list[HistoryRow]:
    """Per project and quarter, newest first: NPS, CSAT and the aspects' means. One query.

    A client user sees their own client's projects only (``for_user``).
    """
    since = recent_quarters(quarter_of(timezone.now()), limit_quarters)[0]
    rows = (
        SurveyResponse.objects.for_user(user)
        .filter(quarter__gte=since)
        .values("project_id", "project__code", "project__name", "quarter")
        .annotate(**_response_counts(), **{f"{name}_total": Sum(name) for name, _ in ASPECTS})
        .order_by("-quarter", "project__code")
    )
    return [
        HistoryRow(
            project_id=row["project_id"],
            project_code=row["project__code"],
            project_name=row["project__name"],
            quarter=row["quarter"],
            nps=_nps_of(row),
            csat=_csat_of(row),
            aspects={
                label: csat_mean(total=row[f"{name}_total"] or 0, responses=row["responses"]) for name, label in ASPECTS
            },
        )
        for row in rows
    ]
