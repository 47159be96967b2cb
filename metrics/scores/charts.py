"""Charts drawn on the server with matplotlib as SVG, cached, so pages, PDFs and e-mails share them."""

import datetime as dt
import hashlib
import io

from django.core.cache import cache
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

RAG_COLORS = {"green": "#1e7d4f", "amber": "#b8730a", "red": "#b3261e"}

SNAPSHOT_PERIOD = dt.timedelta(minutes=15)  # a snapshot's bucket is the start of its 15-minute period

TREND_MIN_WINDOW = dt.timedelta(days=1)


def trend_x_limits(times: list[dt.datetime], *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The trend's time axis: from the first bucket to the end of the last one's period, but never past
    ``now``; a series shorter than a day gets a one-day window that widens into the past, not the future."""
    first, last = min(times), max(times)
    end = max(last, min(now, last + SNAPSHOT_PERIOD))
    start = min(first, end - TREND_MIN_WINDOW)
    return start, end


def score_trend_svg(snapshots: list, *, amber: float, red: float, now: dt.datetime | None = None) -> str:
    """Risk and tradeoff over time (oldest first), with the RAG bands shaded. Cached per data version."""
    if not snapshots:
        return ""
    now = now or timezone.now()
    # The key covers every plotted point, so two lenses (or two users) never share a chart by accident.
    points = "|".join(f"{s.bucket.timestamp()}:{s.risk_score}:{s.tradeoff_score}" for s in snapshots)
    digest = hashlib.sha256(f"{points}:{amber}:{red}:{now:%Y%m%d%H}".encode()).hexdigest()
    key = f"chart:trend:{snapshots[0].project_id}:{translation.get_language()}:{digest}"  # words in the reader's
    svg = cache.get(key)
    if svg is None:
        svg = _render_trend(snapshots, amber=amber, red=red, now=now)
        cache.set(key, svg, 60 * 60)
    return svg


def _render_trend(snapshots: list, *, amber: float, red: float, now: dt.datetime) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    times = [s.bucket for s in snapshots]
    risk = [float(s.risk_score) for s in snapshots]
    tradeoff = [float(s.tradeoff_score) for s in snapshots]

    plt.rcParams.update({"font.size": 9, "font.family": "DejaVu Sans"})
    fig, ax = plt.subplots(figsize=(11, 3), dpi=100)
    try:
        ax.axhspan(0, amber, color="#e3f4ea", zorder=0)
        ax.axhspan(amber, red, color="#fdf1dc", zorder=0)
        ax.axhspan(red, 100, color="#fbe4e2", zorder=0)
        line = {"linewidth": 2, "marker": "o", "markersize": 3, "clip_on": False}  # a point on the edge stays whole
        ax.plot(times, risk, color="#b3261e", label=gettext("Risk (lower is better)"), **line)
        ax.plot(times, tradeoff, color="#0b5cad", label=gettext("Tradeoff (higher is better)"), **line)
        ax.set_ylim(0, 100)
        start, end = trend_x_limits(times, now=now)
        ax.set_xlim(start, end)
        tick = "d M H:i" if end - start <= TREND_MIN_WINDOW else "d M"  # month names in the reader's language
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda value, _position: formats.date_format(mdates.num2date(value), tick))
        )
        ax.set_ylabel(gettext("score"))
        ax.grid(axis="y", color="#dde3ea", linewidth=0.6)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
        fig.autofmt_xdate()
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
