"""The 5 × 5 risk heat map drawn as SVG on the server: open risks counted per probability × impact cell.

Plain SVG (no JavaScript), like ``projects/timeline.py``, so it works in a page, a PDF and an e-mail.
Exposure = probability × impact on 1–5 scales (PMBOK Guide 6th ed. §11.3, probability and impact
matrix), so 1–25. Colour bands: low (green) 1–4, medium (amber) 5–12, high (red) 15–25.
"""

from collections import Counter
from collections.abc import Iterable
from html import escape

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

SCALE = (1, 2, 3, 4, 5)
PROBABILITY_WORDS = {
    1: gettext_lazy("Rare"),
    2: gettext_lazy("Unlikely"),
    3: gettext_lazy("Possible"),
    4: gettext_lazy("Likely"),
    5: gettext_lazy("Almost certain"),
}
IMPACT_WORDS = {
    1: gettext_lazy("Negligible"),
    2: gettext_lazy("Minor"),
    3: gettext_lazy("Moderate"),
    4: gettext_lazy("Major"),
    5: gettext_lazy("Severe"),
}
BAND_WORDS = {"low": gettext_lazy("low"), "medium": gettext_lazy("medium"), "high": gettext_lazy("high")}
BANDS = {  # fill, stroke, text
    "low": ("#e3f4ea", "#b9dfc9", "#1e7d4f"),
    "medium": ("#fdf1dc", "#f0d3a0", "#b8730a"),
    "high": ("#fbe4e2", "#efb8b3", "#b3261e"),
}
STRONG = {"low": "#1e7d4f", "medium": "#b8730a", "high": "#b3261e"}

CELL = 72
LEFT = 150
TOP = 16
BOTTOM = 64


def exposure_band(exposure: int) -> str:
    """ "low" (1–4), "medium" (5–12) or "high" (15–25) for a probability × impact exposure."""
    if exposure >= 15:
        return "high"
    if exposure >= 5:
        return "medium"
    return "low"


def risk_counts(cells: Iterable[tuple[int, int]]) -> Counter:
    """Open risks per (probability, impact) cell; values outside 1–5 are ignored."""
    return Counter((p, i) for p, i in cells if p in SCALE and i in SCALE)


def render_heatmap(cells: Iterable[tuple[int, int]]) -> str:
    """``cells``: (probability, impact) of each open risk. Returns an ``<svg>`` string."""
    counts = risk_counts(cells)
    total = sum(counts.values())
    width = LEFT + CELL * len(SCALE) + 12
    height = TOP + CELL * len(SCALE) + BOTTOM
    grid_bottom = TOP + CELL * len(SCALE)
    aria_label = ngettext(
        "Risk heat map: %(count)s open risk by probability and impact",
        "Risk heat map: %(count)s open risks by probability and impact",
        total,
    ) % {"count": total}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(aria_label)}" '
        f'class="heatmap" font-family="DejaVu Sans, sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    for row, probability in enumerate(reversed(SCALE)):  # high probability at the top
        y = TOP + row * CELL
        parts.append(
            f'<text x="{LEFT - 10}" y="{y + CELL / 2 - 3}" text-anchor="end" fill="#1d2733">{probability}</text>'
            f'<text x="{LEFT - 10}" y="{y + CELL / 2 + 12}" text-anchor="end" fill="#5d6b7a" font-size="11">'
            f"{escape(str(PROBABILITY_WORDS[probability]))}</text>"
        )
        for column, impact in enumerate(SCALE):
            x = LEFT + column * CELL
            exposure = probability * impact
            band = exposure_band(exposure)
            fill, stroke, ink = BANDS[band]
            count = counts.get((probability, impact), 0)
            label = ngettext(
                "Probability %(probability)s × impact %(impact)s = exposure %(exposure)s (%(band)s): "
                "%(count)s open risk",
                "Probability %(probability)s × impact %(impact)s = exposure %(exposure)s (%(band)s): "
                "%(count)s open risks",
                count,
            ) % {
                "probability": probability,
                "impact": impact,
                "exposure": exposure,
                "band": BAND_WORDS[band],
                "count": count,
            }
            cell_fill = STRONG[band] if count else fill
            parts.append(
                f'<g class="cell" data-probability="{probability}" data-impact="{impact}" data-count="{count}">'
                f"<title>{escape(label)}</title>"
                f'<rect x="{x + 2}" y="{y + 2}" width="{CELL - 4}" height="{CELL - 4}" rx="6" '
                f'fill="{cell_fill}" stroke="{stroke}"/>'
            )
            if count:
                parts.append(
                    f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 8}" text-anchor="middle" fill="#fff" '
                    f'font-size="22" font-weight="bold">{count}</text>'
                )
            else:
                parts.append(
                    f'<text x="{x + CELL - 10}" y="{y + 18}" text-anchor="end" fill="{ink}" font-size="10" '
                    f'opacity="0.7">{exposure}</text>'
                )
            parts.append("</g>")
    for column, impact in enumerate(SCALE):
        x = LEFT + column * CELL + CELL / 2
        parts.append(
            f'<text x="{x}" y="{grid_bottom + 16}" text-anchor="middle" fill="#1d2733">{impact}</text>'
            f'<text x="{x}" y="{grid_bottom + 30}" text-anchor="middle" fill="#5d6b7a" font-size="11">'
            f"{escape(str(IMPACT_WORDS[impact]))}</text>"
        )
    impact_axis, probability_axis = escape(_("Impact →")), escape(_("Probability →"))
    parts.append(
        f'<text x="{LEFT + CELL * len(SCALE) / 2}" y="{height - 8}" text-anchor="middle" fill="#5d6b7a" '
        f'font-weight="bold">{impact_axis}</text>'
        f'<text x="14" y="{TOP + CELL * len(SCALE) / 2}" text-anchor="middle" fill="#5d6b7a" font-weight="bold" '
        f'transform="rotate(-90 14 {TOP + CELL * len(SCALE) / 2})">{probability_axis}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
