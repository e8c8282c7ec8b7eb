"""``threats-coverage.svg``: the overall coverage as a README badge, written
beside ``threats.json`` (pure: no Sphinx, no docutils)."""

from __future__ import annotations

#: Badge colours by overall coverage: (lowest percentage, colour), first
#: match; each gives white text a contrast of at least 4.5:1.
BADGE_THRESHOLDS = ((90.0, "#1a7f37"), (70.0, "#9a6700"), (0.0, "#b00020"))
#: The badge's colour when there is nothing to cover.
BADGE_NONE = "#57606a"
BADGE_FILE = "threats-coverage.svg"


def coverage_badge(percent: float | None) -> str:
    """``threats-coverage.svg``: the overall coverage as a README badge."""
    value = "n/a" if percent is None else f"{percent:.0f}%"
    colour = BADGE_NONE
    if percent is not None:
        colour = next(c for floor, c in BADGE_THRESHOLDS if percent >= floor)
    label = "threat coverage"
    # widths from an average glyph width of 11px Verdana, as badges usually do
    left, right = 6 * len(label) + 12, 7 * len(value) + 12
    width = left + right
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" '
        f'role="img" aria-label="{label}: {value}">'
        f"<title>{label}: {value}</title>"
        f'<rect width="{left}" height="20" fill="#24292f"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" '
        'text-anchor="middle">'
        f'<text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{value}</text>'
        "</g></svg>\n"
    )
