"""Exports of the portfolio report: CSV, XLSX, the risk bar chart (SVG, cached) and the PDF."""

import csv
import hashlib
import io
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext

from core.exports import safe_cell, xlsx_cell
from metrics.portfolio.selectors import PortfolioRow, rag_counts

# Column heads of the CSV and XLSX files: data for other tools, kept in English whatever the reader's language.
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
    ("baseline", "Baseline in force (e-signatures)"),
]


def portfolio_csv_stream(*, user, chunk: int = 500):
    """The CSV line by line, reading the ranked projects ``chunk`` at a time (a bounded memory, a first byte at
    once): for a StreamingHttpResponse."""
    from metrics.portfolio.selectors import portfolio_ranked, portfolio_rows

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    yield writer.writerow([label for _, label in EXPORT_COLUMNS])
    ranked = portfolio_ranked(user=user)
    ids = list(ranked.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        part = ranked.filter(pk__in=ids[start : start + chunk])
        for row in portfolio_rows(user=user, projects=part):
            yield writer.writerow([safe_cell(getattr(row, key)) for key, _ in EXPORT_COLUMNS])


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
        sheet.append([float(v) if isinstance(v, Decimal) else xlsx_cell(v) for v in values])
        if row.rag in fills:
            sheet.cell(row=sheet.max_row, column=8).fill = PatternFill("solid", fgColor=fills[row.rag])
    for column, width in zip(
        "ABCDEFGHIJKLMNOP", (12, 34, 24, 18, 20, 10, 10, 8, 12, 7, 7, 10, 10, 10, 60, 60), strict=True
    ):
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
    key = f"chart:portfolio:{translation.get_language()}:" + hashlib.sha256(data.encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _render_risk_bars(scored)
        cache.set(key, svg, 60 * 60)
    return svg


def _render_risk_bars(rows: list[PortfolioRow]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from metrics.scores.charts import RAG_COLORS

    plt.rcParams.update({"font.size": 9, "font.family": "DejaVu Sans"})
    height = 0.8 + 0.32 * len(rows)
    fig, ax = plt.subplots(figsize=(11, height), dpi=100)
    try:
        labels = [r.code for r in reversed(rows)]
        values = [float(r.risk_score) for r in reversed(rows)]
        colors = [RAG_COLORS.get(r.rag or "", "#8a96a3") for r in reversed(rows)]
        positions = list(range(len(labels)))
        ax.barh(positions, values, color=colors)
        ax.set_yticks(positions, labels=labels, parse_math=False)  # a code is text: "$x_$" is no TeX to typeset
        ax.set_xlim(0, 100)
        ax.set_xlabel(gettext("risk score (higher is worse)"))
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
    from weasyprint import HTML

    html = render_to_string(
        "metrics/portfolio_pdf.html",
        {"rows": rows, "counts": rag_counts(rows), "chart": chart, "user": user, "generated": timezone.now()},
    )
    return HTML(string=html).render()


def portfolio_pdf(rows: list[PortfolioRow], *, user, chart: str) -> bytes:
    """The same report as a PDF: every row whole on one page, the column heads on every page."""
    return portfolio_pdf_document(rows, user=user, chart=chart).write_pdf()
