"""The 5 × 5 risk heat map drawn as SVG on the server: open risks counted per probability × impact cell.

Plain SVG (no JavaScript), like ``projects/timeline.py``, so it works in a page, a PDF and an e-mail.
Exposure = probability × impact on 1–5 scales (PMBOK Guide 6th ed. §11.3, probability and impact
matrix), so 1–25. Colour bands: low (green) 1–4, medium (amber) 5–12, high (red) 15–25.
"""

from collections import Counter
from collections.abc import Iterable
from html import escape

SCALE = (1, 2, 3, 4, 5)
PROBABILITY_WORDS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
IMPACT_WORDS = {1: "Negligible", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}
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
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Risk heat map: {total} open risk{"s" if total != 1 else ""} by probability and impact" '
        f'class="heatmap" font-family="DejaVu Sans, sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    for row, probability in enumerate(reversed(SCALE)):  # high probability at the top
        y = TOP + row * CELL
        parts.append(
            f'<text x="{LEFT - 10}" y="{y + CELL / 2 - 3}" text-anchor="end" fill="#1d2733">{probability}</text>'
            f'<text x="{LEFT - 10}" y="{y + CELL / 2 + 12}" text-anchor="end" fill="#5d6b7a" font-size="11">'
            f"{PROBABILITY_WORDS[probability]}</text>"
        )
        for column, impact in enumerate(SCALE):
            x = LEFT + column * CELL
            exposure = probability * impact
            band = exposure_band(exposure)
            fill, stroke, ink = BANDS[band]
            count = counts.get((probability, impact), 0)
            label = (
                f"Probability {probability} × impact {impact} = exposure {exposure} ({band}): "
                f"{count} open risk{'s' if count != 1 else ''}"
            )
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
            f"{IMPACT_WORDS[impact]}</text>"
        )
    parts.append(
        f'<text x="{LEFT + CELL * len(SCALE) / 2}" y="{height - 8}" text-anchor="middle" fill="#5d6b7a" '
        f'font-weight="bold">Impact →</text>'
        f'<text x="14" y="{TOP + CELL * len(SCALE) / 2}" text-anchor="middle" fill="#5d6b7a" font-weight="bold" '
        f'transform="rotate(-90 14 {TOP + CELL * len(SCALE) / 2})">Probability →</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
