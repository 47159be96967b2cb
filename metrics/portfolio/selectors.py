"""The leadership portfolio report: every project in scope ranked by risk (exports: ``metrics.portfolio.exports``).

PMs see their own projects; leadership and admins see all; client users never reach it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import phrases
from metrics.groupings import portfolio_projects
from metrics.scores.models import ScoreSnapshot
from metrics.scores.selectors import current_score_join
from projects.baselines.selectors import baselines_in_force_manifest
from projects.models import ChangeRequest, ChangeRequestStatus, Milestone, Project, QualityEvent


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
    projects = Project.objects.for_user(user).exclude(status__in=["completed", "cancelled"])
    projects = portfolio_projects(projects, user, project_path="")

    rows = (
        projects.select_related("client", "manager")
        .annotate(
            **current_score_join(user),
            # Ranked and counted on the current-score pointer; the snapshot's other figures are read for the
            # rows shown only (``portfolio_rows``), never joined for the whole portfolio.
            risk=F("current_score__risk_score"),
            rag_band=F("current_score__rag"),
            snapshot_ref=F("current_score__snapshot_id"),
        )
        .order_by(F("risk").desc(nulls_last=True), "code")
    )
    return rows


def _counts(queryset, project_ids: list[int]) -> dict[int, int]:
    """Rows of ``queryset`` per project, for the given projects only (one grouped query)."""
    return dict(
        queryset.filter(project_id__in=project_ids)
        .order_by()
        .values("project_id")
        .annotate(n=Count("pk"))
        .values_list("project_id", "n")
    )


def portfolio_rows(*, user, projects=None) -> list[PortfolioRow]:
    """Rows of ``projects`` (a slice of ``portfolio_ranked``; default: all of it), in a fixed number of queries."""
    rows = list(portfolio_ranked(user=user) if projects is None else projects)
    baselines = baselines_in_force_manifest(user=user, project_ids=[p.pk for p in rows])
    figures = {
        f["pk"]: f
        for f in ScoreSnapshot.objects.filter(pk__in=[p.snapshot_ref for p in rows if p.snapshot_ref]).values(
            "pk", "tradeoff_score", "schedule_performance_index", "cost_performance_index", "result"
        )
    }
    ids = [p.pk for p in rows]
    today = timezone.localdate()
    overdue = _counts(Milestone.objects.filter(actual_date__isnull=True, forecast_date__lt=today), ids)
    critical = _counts(QualityEvent.objects.filter(closed__isnull=True, severity="critical"), ids)
    pending = _counts(ChangeRequest.objects.filter(status=ChangeRequestStatus.SUBMITTED), ids)
    out = []
    for p in rows:
        snapshot = figures.get(p.snapshot_ref, {})
        factors = (snapshot.get("result") or {}).get("factors", [])
        top_factor = next((f for f in factors if Decimal(f["stress"]) > 0), None)
        top = (
            phrases.render((top_factor.get("words") or {}).get("text"), top_factor["text"])  # the reader's language
            if top_factor
            else _("On plan.")
        )
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
                tradeoff_score=snapshot.get("tradeoff_score"),
                rag=p.rag_band,
                spi=snapshot.get("schedule_performance_index"),
                cpi=snapshot.get("cost_performance_index"),
                overdue_milestones=overdue.get(p.pk, 0),
                open_critical_events=critical.get(p.pk, 0),
                pending_change_requests=pending.get(p.pk, 0),
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
