"""Charts drawn on the server with matplotlib as SVG, cached, so pages, PDFs and e-mails share them."""

import io

from django.core.cache import cache

RAG_COLORS = {"green": "#1e7d4f", "amber": "#b8730a", "red": "#b3261e"}


def score_trend_svg(snapshots: list, *, amber: float, red: float) -> str:
    """Risk and tradeoff over time (oldest first), with the RAG bands shaded. Cached per data version."""
    if not snapshots:
        return ""
    key = (
        f"chart:trend:{snapshots[0].project_id}:{len(snapshots)}:{snapshots[-1].computed_at.timestamp()}:{amber}:{red}"
    )
    svg = cache.get(key)
    if svg is None:
        svg = _render_trend(snapshots, amber=amber, red=red)
        cache.set(key, svg, 60 * 60)
    return svg


def _render_trend(snapshots: list, *, amber: float, red: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    times = [s.bucket for s in snapshots]
    risk = [float(s.risk_score) for s in snapshots]
    tradeoff = [float(s.tradeoff_score) for s in snapshots]
    import datetime as dt

    plt.rcParams.update({"font.size": 9, "font.family": "DejaVu Sans"})
    fig, ax = plt.subplots(figsize=(11, 3), dpi=100)
    try:
        ax.axhspan(0, amber, color="#e3f4ea", zorder=0)
        ax.axhspan(amber, red, color="#fdf1dc", zorder=0)
        ax.axhspan(red, 100, color="#fbe4e2", zorder=0)
        ax.plot(times, risk, color="#b3261e", linewidth=2, marker="o", markersize=3, label="Risk (lower is better)")
        ax.plot(
            times, tradeoff, color="#0b5cad", linewidth=2, marker="o", markersize=3, label="Tradeoff (higher is better)"
        )
        ax.set_ylim(0, 100)
        if len(times) == 1 or times[-1] - times[0] < dt.timedelta(days=1):
            ax.set_xlim(times[0] - dt.timedelta(hours=12), times[-1] + dt.timedelta(hours=12))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M"))
        else:
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.set_ylabel("score")
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
