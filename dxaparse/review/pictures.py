"""Pictures where people would rather look than read: each site's T-score on the WHO bands (normal
≥ −1, low bone mass between, osteoporosis ≤ −2.5), the basis site marked — inline SVG, made here on
the server, so the page needs no drawing library."""

from __future__ import annotations

from html import escape

from ..models import ExamResult

LOW, HIGH = -5.0, 3.0          # the axis, in T-score units
OSTEOPOROSIS, NORMAL = -2.5, -1.0
WIDTH, ROW, LEFT = 520, 26, 170


def _x(t: float) -> float:
    t = min(max(t, LOW), HIGH)
    return LEFT + (t - LOW) / (HIGH - LOW) * (WIDTH - LEFT - 10)


def who_bands(result: ExamResult) -> str:
    """An SVG of every measured site with a T-score, on the WHO bands; empty when none has one."""
    rows = [m for m in result.measurements if m.t_score is not None]
    if not rows:
        return ""
    basis = result.coding.basis
    height = ROW * len(rows) + 30
    out = [f'<svg class="who" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'role="img" aria-label="T-scores on the WHO bands">']
    top, bottom = 4, height - 24
    for low, high, css, name in ((LOW, OSTEOPOROSIS, "band-op", "osteoporosis"),
                                 (OSTEOPOROSIS, NORMAL, "band-low", "low bone mass"),
                                 (NORMAL, HIGH, "band-normal", "normal")):
        out.append(f'<rect class="{css}" x="{_x(low):.1f}" y="{top}" width="{_x(high) - _x(low):.1f}" '
                   f'height="{bottom - top}"><title>{name}</title></rect>')
    for t in range(int(LOW), int(HIGH) + 1):
        out.append(f'<text class="tick" x="{_x(t):.1f}" y="{height - 8}" text-anchor="middle">{t}</text>')
    for n, m in enumerate(rows):
        y = top + ROW * n + ROW / 2
        is_basis = (basis is not None and basis.score == "t" and basis.site is m.site
                    and basis.side == m.side and basis.label == m.label)
        name = " ".join(filter(None, (m.site.value.replace("_", " "), m.side, m.label)))
        css = "site basis" if is_basis else ("site excluded" if m.excluded else "site")
        out.append(f'<text class="{css}" x="4" y="{y + 4:.1f}">{escape(name)}{" (basis)" if is_basis else ""}'
                   f'{" (excluded)" if m.excluded else ""}</text>')
        out.append(f'<circle class="{css}" cx="{_x(m.t_score):.1f}" cy="{y:.1f}" r="{7 if is_basis else 5}">'
                   f'<title>{escape(name)}: T {m.t_score:+.1f}</title></circle>')
    out.append("</svg>")
    return "".join(out)
