"""The milestone timeline drawn as SVG on the server: baseline vs forecast vs actual.

Plain SVG (no JavaScript), so the same drawing works in the page, a PDF and an e-mail.
"""

import datetime as dt
from html import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _

ROW_HEIGHT = 30
LABEL_WIDTH = 230
CHART_WIDTH = 640
TOP = 52
COLORS = {"baseline": "#8a96a3", "forecast": "#0b5cad", "late": "#b3261e", "actual": "#1e7d4f", "risk": "#b8730a"}


def _month_starts(start: dt.date, end: dt.date):
    current = dt.date(start.year, start.month, 1)
    while current <= end:
        if current >= start:
            yield current
        current = dt.date(current.year + (current.month // 12), current.month % 12 + 1, 1)


def _day(day: dt.date) -> str:
    """A date as the page shows it ("15 Dec 2026", "15 Dez 2026")."""
    return date_format(day, "d M Y")


def render_timeline(rows, *, today: dt.date) -> str:
    """``rows``: MilestoneRow objects (milestone + at_risk_because). Returns an ``<svg>`` string."""
    dates = [today]
    for row in rows:
        m = row.milestone
        dates += [d for d in (m.baseline_date, m.forecast_date, m.actual_date) if d]
    start = min(dates) - dt.timedelta(days=10)
    end = max(dates) + dt.timedelta(days=10)
    span = max((end - start).days, 1)
    width = LABEL_WIDTH + CHART_WIDTH + 20
    height = TOP + ROW_HEIGHT * max(len(rows), 1) + 30

    def x(day: dt.date) -> float:
        return round(LABEL_WIDTH + CHART_WIDTH * (day - start).days / span, 1)

    aria_label = escape(_("Milestone timeline: baseline, forecast and actual dates"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{aria_label}" class="timeline" '
        f'font-family="DejaVu Sans, sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    step = max(1, len(list(_month_starts(start, end))) // 8)
    for i, month in enumerate(_month_starts(start, end)):
        if i % step:
            continue
        mx = x(month)
        if mx + 56 > width:
            continue  # no room for the label at the right edge
        parts.append(f'<line x1="{mx}" y1="{TOP - 6}" x2="{mx}" y2="{height - 24}" stroke="#eef2f6"/>')
        month_label = escape(date_format(month, "M Y"))
        parts.append(f'<text x="{mx + 3}" y="{TOP - 10}" fill="#5d6b7a" font-size="11">{month_label}</text>')
    for i, row in enumerate(rows):
        m = row.milestone
        y = TOP + i * ROW_HEIGHT + ROW_HEIGHT / 2
        if i % 2 == 0:
            parts.append(f'<rect x="0" y="{y - ROW_HEIGHT / 2}" width="{width}" height="{ROW_HEIGHT}" fill="#f8fafc"/>')
        name = m.name if len(m.name) <= 32 else m.name[:31] + "…"
        color = "#1d2733"
        if row.late and not m.is_complete:
            color = COLORS["late"]
        elif row.at_risk_because:
            color = COLORS["risk"]
        parts.append(f'<text x="8" y="{y + 4}" fill="{color}"><title>{escape(m.name)}</title>{escape(name)}</text>')
        current = m.actual_date or m.forecast_date
        if m.baseline_date and current and current != m.baseline_date:
            line_color = COLORS["late"] if current > m.baseline_date else COLORS["actual"]
            parts.append(
                f'<line x1="{x(m.baseline_date)}" y1="{y}" x2="{x(current)}" y2="{y}" stroke="{line_color}" '
                f'stroke-width="3" stroke-opacity="0.45"/>'
            )
        if m.baseline_date:
            bx = x(m.baseline_date)
            title = escape(_("Baseline %(date)s") % {"date": _day(m.baseline_date)})
            parts.append(
                f'<path d="M{bx} {y - 7} L{bx + 7} {y} L{bx} {y + 7} L{bx - 7} {y} Z" fill="#fff" '
                f'stroke="{COLORS["baseline"]}" stroke-width="2">'
                f"<title>{title}</title></path>"
            )
        if m.actual_date:
            ax = x(m.actual_date)
            title = escape(_("Completed %(date)s") % {"date": _day(m.actual_date)})
            parts.append(
                f'<circle cx="{ax}" cy="{y}" r="6.5" fill="{COLORS["actual"]}">'
                f"<title>{title}</title></circle>"
                f'<path d="M{ax - 3} {y} l2.2 2.4 l4 -4.6" stroke="#fff" stroke-width="1.8" fill="none"/>'
            )
        elif m.forecast_date:
            fx = x(m.forecast_date)
            fill = COLORS["late"] if row.late else (COLORS["risk"] if row.at_risk_because else COLORS["forecast"])
            title = escape(_("Forecast %(date)s") % {"date": _day(m.forecast_date)})
            parts.append(
                f'<path d="M{fx} {y - 7} L{fx + 7} {y} L{fx} {y + 7} L{fx - 7} {y} Z" fill="{fill}">'
                f"<title>{title}</title></path>"
            )
    tx = x(today)
    today_label = escape(_("today"))
    parts.append(
        f'<line x1="{tx}" y1="{TOP - 6}" x2="{tx}" y2="{height - 24}" stroke="#b3261e" stroke-dasharray="4 3"/>'
        f'<text x="{tx + 3}" y="{height - 12}" fill="#b3261e" font-size="11">{today_label}</text>'
    )
    legend_y = 18
    legend = [
        ("baseline", _("Baseline"), "hollow"),
        ("forecast", _("Forecast"), "diamond"),
        ("late", _("Late"), "diamond"),
        ("actual", _("Completed"), "circle"),
    ]
    lx = 8
    for key, label, shape in legend:
        if shape == "hollow":
            parts.append(
                f'<path d="M{lx + 6} {legend_y - 10} l6 6 l-6 6 l-6 -6 Z" fill="#fff" stroke="{COLORS[key]}" '
                f'stroke-width="2"/>'
            )
        elif shape == "circle":
            parts.append(f'<circle cx="{lx + 6}" cy="{legend_y - 4}" r="5.5" fill="{COLORS[key]}"/>')
        else:
            parts.append(f'<path d="M{lx + 6} {legend_y - 10} l6 6 l-6 6 l-6 -6 Z" fill="{COLORS[key]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{legend_y}" fill="#5d6b7a" font-size="11">{escape(label)}</text>')
        lx += 90
    parts.append("</svg>")
    return "".join(parts)
