"""The leadership portfolio report: every project in scope ranked by risk, with exports.

PMs see their own projects; leadership and admins see all; client users never reach it.
"""

import csv
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from clients.models import Role
from metrics.models import ScoreSnapshot, lens_for
from projects.models import ChangeRequest, ChangeRequestStatus, Milestone, Project, QualityEvent
from projects.selectors import count_per_project


def can_view_portfolio(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.role in (Role.LEADERSHIP, Role.ADMIN, Role.PROJECT_MANAGER)
    )


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


def portfolio_rows(*, user) -> list[PortfolioRow]:
    """Projects ranked by risk (worst first), in one query whatever the portfolio size."""
    today = timezone.localdate()
    latest = ScoreSnapshot.objects.filter(project=OuterRef("pk"), lens=lens_for(user)).order_by("-bucket")
    projects = Project.objects.for_user(user).exclude(status__in=["completed", "cancelled"])
    if user.role == Role.PROJECT_MANAGER:
        projects = projects.filter(manager=user)

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
            )
        )
    return out


def rag_counts(rows: list[PortfolioRow]) -> dict[str, int]:
    counts = {"red": 0, "amber": 0, "green": 0, "none": 0}
    for row in rows:
        counts[row.rag or "none"] += 1
    return counts


EXPORT_COLUMNS = [
    ("code", "Project"),
    ("name", "Name"),
    ("client", "Client"),
    ("manager", "Project manager"),
    ("service_type", "Service"),
    ("status", "Status"),
    ("risk_score", "Risk score"),
    ("rag", "RAG"),
    ("tradeoff_score", "Tradeoff score"),
    ("spi", "SPI"),
    ("cpi", "CPI"),
    ("overdue_milestones", "Overdue milestones"),
    ("open_critical_events", "Open critical quality events"),
    ("pending_change_requests", "Change requests awaiting the client"),
    ("top_reason", "Main reason"),
]


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else value


def portfolio_csv(rows: list[PortfolioRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow([_cell(getattr(row, key)) for key, _ in EXPORT_COLUMNS])
    return buffer.getvalue()


def portfolio_xlsx(rows: list[PortfolioRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Portfolio"
    sheet.append([label for _, label in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    fills = {"red": "FBE4E2", "amber": "FDF1DC", "green": "E3F4EA"}
    for row in rows:
        values = [getattr(row, key) for key, _ in EXPORT_COLUMNS]
        sheet.append([float(v) if isinstance(v, Decimal) else _cell(v) for v in values])
        if row.rag in fills:
            sheet.cell(row=sheet.max_row, column=8).fill = PatternFill("solid", fgColor=fills[row.rag])
    for column, width in zip("ABCDEFGHIJKLMNO", (12, 34, 24, 18, 20, 10, 10, 8, 12, 7, 7, 10, 10, 10, 60), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def risk_bar_svg(rows: list[PortfolioRow]) -> str:
    """Horizontal bars of the risk score per project, coloured by RAG (matplotlib SVG, cached)."""
    from django.core.cache import cache

    scored = [r for r in rows if r.risk_score is not None][:25]
    if not scored:
        return ""
    data = ",".join(f"{r.project_id}:{r.risk_score}:{r.rag}" for r in scored)
    key = "chart:portfolio:" + hashlib.sha256(data.encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _render_risk_bars(scored)
        cache.set(key, svg, 60 * 60)
    return svg


def _render_risk_bars(rows: list[PortfolioRow]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metrics.charts import RAG_COLORS

    plt.rcParams.update({"font.size": 9, "font.family": "DejaVu Sans"})
    height = 0.8 + 0.32 * len(rows)
    fig, ax = plt.subplots(figsize=(11, height), dpi=100)
    try:
        labels = [r.code for r in reversed(rows)]
        values = [float(r.risk_score) for r in reversed(rows)]
        colors = [RAG_COLORS.get(r.rag or "", "#8a96a3") for r in reversed(rows)]
        ax.barh(labels, values, color=colors)
        ax.set_xlim(0, 100)
        ax.set_xlabel("risk score (higher is worse)")
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        ax.grid(axis="x", color="#dde3ea", linewidth=0.6)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def portfolio_pdf_document(rows: list[PortfolioRow], *, user, chart: str):
    """The print report laid out in pages (a WeasyPrint document; the chart is the page's SVG)."""
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import HTML

    html = render_to_string(
        "metrics/portfolio_pdf.html",
        {"rows": rows, "counts": rag_counts(rows), "chart": chart, "user": user, "generated": timezone.now()},
    )
    return HTML(string=html).render()


def portfolio_pdf(rows: list[PortfolioRow], *, user, chart: str) -> bytes:
    """The same report as a PDF: every row whole on one page, the column heads on every page."""
    return portfolio_pdf_document(rows, user=user, chart=chart).write_pdf()
