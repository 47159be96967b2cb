"""The leadership portfolio report: every project in scope ranked by risk (exports: ``metrics.portfolio.exports``).

PMs see their own projects; leadership and admins see all; client users never reach it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from metrics.groupings import portfolio_projects
from metrics.scores.models import ScoreSnapshot, lens_for
from projects.baselines.selectors import baselines_in_force_manifest
from projects.models import ChangeRequest, ChangeRequestStatus, Milestone, Project, QualityEvent
from projects.selectors import count_per_project


@dataclass(frozen=True)
class PortfolioRow:
    project_id: int
    code: str
    name: str
    client: str
    manager: str
    service_type: str
    status: str
    risk_score: Decimal | None
    tradeoff_score: Decimal | None
    rag: str | None
    spi: Decimal | None
    cpi: Decimal | None
    overdue_milestones: int
    open_critical_events: int
    pending_change_requests: int
    top_reason: str
    baseline: str = ""  # the baseline in force with its signatures manifested (printed name, meaning, UTC time)


def portfolio_ranked(*, user):
    """The open projects in ``user``'s scope ranked by risk (worst first): a queryset, sorted in the database,
    to paginate (the page) or to read in chunks (the exports)."""
    today = timezone.localdate()
    latest = ScoreSnapshot.objects.filter(project=OuterRef("pk"), lens=lens_for(user)).order_by("-bucket")
    projects = Project.objects.for_user(user).exclude(status__in=["completed", "cancelled"])
    projects = portfolio_projects(projects, user, project_path="")

    rows = (
        projects.select_related("client", "manager")
        .annotate(
            risk=Subquery(latest.values("risk_score")[:1]),
            tradeoff=Subquery(latest.values("tradeoff_score")[:1]),
            rag_band=Subquery(latest.values("rag")[:1]),
            spi=Subquery(latest.values("schedule_performance_index")[:1]),
            cpi=Subquery(latest.values("cost_performance_index")[:1]),
            result=Subquery(latest.values("result")[:1]),
            overdue=count_per_project(Milestone.objects.filter(actual_date__isnull=True, forecast_date__lt=today)),
            critical=count_per_project(QualityEvent.objects.filter(closed__isnull=True, severity="critical")),
            pending=count_per_project(ChangeRequest.objects.filter(status=ChangeRequestStatus.SUBMITTED)),
        )
        .order_by(F("risk").desc(nulls_last=True), "code")
    )
    return rows


def portfolio_rows(*, user, projects=None) -> list[PortfolioRow]:
    """Rows of ``projects`` (a slice of ``portfolio_ranked``; default: all of it), in a fixed number of queries."""
    rows = list(portfolio_ranked(user=user) if projects is None else projects)
    baselines = baselines_in_force_manifest(user=user, project_ids=[p.pk for p in rows])
    out = []
    for p in rows:
        factors = (p.result or {}).get("factors", [])
        top = next((f["text"] for f in factors if Decimal(f["stress"]) > 0), "On plan.")
        out.append(
            PortfolioRow(
                project_id=p.pk,
                code=p.code,
                name=p.name,
                client=p.client.name,
                manager=p.manager.display_name if p.manager else "",
                service_type=p.get_service_type_display(),
                status=p.get_status_display(),
                risk_score=p.risk,
                tradeoff_score=p.tradeoff,
                rag=p.rag_band,
                spi=p.spi,
                cpi=p.cpi,
                overdue_milestones=p.overdue or 0,
                open_critical_events=p.critical or 0,
                pending_change_requests=p.pending or 0,
                top_reason=top,
                baseline=baselines.get(p.pk, ""),
            )
        )
    return out


def portfolio_counts(*, user) -> dict[str, int]:
    """RAG counts over the whole ranked set, in one SQL aggregate."""
    counts = (
        portfolio_ranked(user=user)
        .order_by()
        .aggregate(
            red=Count("pk", filter=Q(rag_band="red")),
            amber=Count("pk", filter=Q(rag_band="amber")),
            green=Count("pk", filter=Q(rag_band="green")),
            none=Count("pk", filter=Q(rag_band__isnull=True)),
            total=Count("pk"),
        )
    )
    return counts


def rag_counts(rows: list[PortfolioRow]) -> dict[str, int]:
    counts = {"red": 0, "amber": 0, "green": 0, "none": 0}
    for row in rows:
        counts[row.rag or "none"] += 1
    return counts
