"""Client satisfaction: NPS and CSAT (pure functions first), then set-based reads of survey answers.

* NPS per F. F. Reichheld, "The One Number You Need to Grow", HBR Dec 2003 (Bain's Net Promoter
  System): % promoters (9–10) − % detractors (0–6), from −100 to 100, reported to 0.1.
* CSAT: the mean of the 1–5 answers (to 0.01) and the share of satisfied answers, 4 or 5 (the
  "top-two-box" CSAT, %, to 0.1). Project and group figures use the *overall* question.
* A period is a calendar quarter: a round belongs to the quarter it was opened in.

The reads take the user and start from ``for_user``; each returns in a fixed number of queries.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from clients.models import Role
from metrics.quarters import previous_quarter, quarter_label, quarter_of, recent_quarters

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
SATISFIED_MIN = 4
FOLLOW_UP_CSAT_MAX = 2
NPS_QUANTUM = Decimal("0.1")
CSAT_QUANTUM = Decimal("0.01")
PERCENT_QUANTUM = Decimal("0.1")


# --- Pure -------------------------------------------------------------------------------------


def net_promoter_score(*, promoters: int, detractors: int, responses: int) -> Decimal | None:
    """% promoters − % detractors (−100..100); None without responses."""
    if responses <= 0:
        return None
    return (Decimal(100) * (promoters - detractors) / responses).quantize(NPS_QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True)
class NpsSummary:
    promoters: int
    passives: int
    detractors: int

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> Decimal | None:
        return net_promoter_score(promoters=self.promoters, detractors=self.detractors, responses=self.responses)


def nps_summary(scores: Iterable[int]) -> NpsSummary:
    """Count promoters (9–10), passives (7–8) and detractors (0–6) of 0–10 answers."""
    promoters = passives = detractors = 0
    for score in scores:
        if not 0 <= score <= 10:
            raise ValueError(f"An NPS answer is 0..10, not {score}.")
        if score >= PROMOTER_MIN:
            promoters += 1
        elif score <= DETRACTOR_MAX:
            detractors += 1
        else:
            passives += 1
    return NpsSummary(promoters, passives, detractors)


def csat_mean(*, total: int, responses: int) -> Decimal | None:
    if responses <= 0:
        return None
    return (Decimal(total) / responses).quantize(CSAT_QUANTUM, ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(100) * part / whole).quantize(PERCENT_QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True)
class CsatSummary:
    responses: int
    total: int
    satisfied: int

    @property
    def mean(self) -> Decimal | None:
        return csat_mean(total=self.total, responses=self.responses)

    @property
    def satisfied_percent(self) -> Decimal | None:
        """Share of answers 4–5 ("top-two-box"), %."""
        return percent(self.satisfied, self.responses)


def csat_summary(scores: Iterable[int]) -> CsatSummary:
    values = list(scores)
    if any(not 1 <= v <= 5 for v in values):
        raise ValueError("A CSAT answer is 1..5.")
    return CsatSummary(len(values), sum(values), sum(1 for v in values if v >= SATISFIED_MIN))


def needs_follow_up(*, nps: int, csat: Iterable[int]) -> bool:
    """A detractor (NPS 0–6) or any CSAT of 1–2: the CMO opens a shared issue to act on it."""
    return nps <= DETRACTOR_MAX or any(c <= FOLLOW_UP_CSAT_MAX for c in csat)


def change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    return None if current is None or previous is None else current - previous


# --- Set-based reads -------------------------------------------------------------------------


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
    from metrics.models import SurveyResponse

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


GROUPINGS = {
    "client": ("project__client_id", "project__client__name"),
    "project": ("project_id", "project__code"),
    "manager": ("project__manager_id", "project__manager__full_name", "project__manager__username"),
    "service_type": ("project__service_type",),
    "quarter": (),
}
GROUPING_LABELS = {
    "client": "Client",
    "project": "Project",
    "manager": "Project manager",
    "service_type": "Service type",
    "quarter": "Quarter",
}


def grouping_or_default(value: str | None, default: str = "client") -> str:
    return value if value in GROUPINGS else default


def group_label(by: str, row: dict, *, prefix: str = "project__") -> tuple[object, str]:
    """The group's key and its words, from a ``values()`` row of any model reached through ``prefix``."""
    from projects.models import ServiceType

    if by == "client":
        return row[f"{prefix}client_id"], row[f"{prefix}client__name"]
    if by == "project":
        return row[f"{prefix[:-2]}_id" if prefix else "id"], row[f"{prefix}code"]
    if by == "manager":
        key = row[f"{prefix}manager_id"]
        if key is None:
            return None, "No manager"
        return key, row[f"{prefix}manager__full_name"] or row[f"{prefix}manager__username"]
    if by == "service_type":
        value = row[f"{prefix}service_type"]
        return value, dict(ServiceType.choices).get(value, value)
    return row["quarter"], quarter_label(row["quarter"])


def portfolio_projects(queryset, user, *, project_path: str = "project"):
    """Portfolio reports: leadership and admins see every project, a PM only the projects they manage."""
    if getattr(user, "role", None) == Role.PROJECT_MANAGER:
        return queryset.filter(**{f"{project_path}__manager" if project_path else "manager": user})
    return queryset


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
    from metrics.models import InvitationStatus, SurveyInvitation, SurveyResponse

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
    ("csat_communication", "Communication"),
    ("csat_responsiveness", "Responsiveness"),
    ("csat_quality", "Quality"),
    ("csat_schedule", "Schedule"),
)


def satisfaction_history(*, user, limit_quarters: int = 8) -> list[HistoryRow]:
    """Per project and quarter, newest first: NPS, CSAT and the aspects' means. One query.

    A client user sees their own client's projects only (``for_user``).
    """
    from metrics.models import SurveyResponse

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
