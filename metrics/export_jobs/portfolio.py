"""The portfolio report's XLSX and PDF as export jobs: the same files as ``metrics.portfolio.exports`` makes,
from the rows read in chunks (progress after each chunk), as the requesting user sees the portfolio."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from metrics.export_jobs.kinds import BuiltFile, ExportKindSpec, Progress, export_kind_register
from metrics.export_jobs.models import ExportKind
from metrics.portfolio import exports, selectors

CHUNK = 500  # projects read per query batch (as the streamed CSV)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def portfolio_parameters(user, posted: dict) -> dict:
    """The portfolio report has no filters: its scope is the user's (a PM: their own projects)."""
    unknown = sorted(set(posted) - {"csrfmiddlewaretoken"})
    if unknown:
        raise ValidationError(
            _("The portfolio export takes no filters (got %(filters)s).") % {"filters": ", ".join(unknown)}
        )
    return {}


def portfolio_rows_in_chunks(user, progress: Progress, *, chunk: int | None = None) -> list[selectors.PortfolioRow]:
    """Every row of ``user``'s ranked portfolio, read ``chunk`` (default ``CHUNK``) projects at a time, reporting
    progress after each."""
    chunk = chunk or CHUNK
    ranked = selectors.portfolio_ranked(user=user)
    ids = list(ranked.values_list("pk", flat=True))
    progress(0, len(ids))
    rows: list[selectors.PortfolioRow] = []
    for start in range(0, len(ids), chunk):
        rows += selectors.portfolio_rows(user=user, projects=ranked.filter(pk__in=ids[start : start + chunk]))
        progress(len(rows), len(ids))
    return rows


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d-%H%M")


def build_portfolio_xlsx(user, parameters: dict, progress: Progress) -> BuiltFile:
    rows = portfolio_rows_in_chunks(user, progress)
    return BuiltFile(exports.portfolio_xlsx(rows), f"portfolio-{_stamp()}.xlsx", XLSX_TYPE, len(rows))


def build_portfolio_pdf(user, parameters: dict, progress: Progress) -> BuiltFile:
    rows = portfolio_rows_in_chunks(user, progress)
    pdf = exports.portfolio_pdf(rows, user=user, chart=exports.risk_bar_svg(rows))
    return BuiltFile(pdf, f"portfolio-{_stamp()}.pdf", "application/pdf", len(rows))


export_kind_register(
    ExportKindSpec(
        kind=ExportKind.PORTFOLIO_XLSX,
        may_export=access.can_view_portfolio,
        clean_parameters=portfolio_parameters,
        build=build_portfolio_xlsx,
    )
)
export_kind_register(
    ExportKindSpec(
        kind=ExportKind.PORTFOLIO_PDF,
        may_export=access.can_view_portfolio,
        clean_parameters=portfolio_parameters,
        build=build_portfolio_pdf,
    )
)
