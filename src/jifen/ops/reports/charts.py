"""Simple server-side SVG charts (bar and line) for the report's HTML preview and its PDF.

No script, no style attribute (the console's CSP), presentation attributes only; the text in
Noto Sans CJK. Each function returns the ``<svg>`` element as a string; the labels are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 28, 44
_FONT = 'font-family="Noto Sans CJK SC, Noto Sans CJK, sans-serif"'
COLOURS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1")


def _nice_max(value: float) -> float:
    """A round upper bound for the axis (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** len(str(int(value))) / 10 if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    if value == int(value):
        return f"{value:.0f}"
    return (f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}").rstrip("0").rstrip(".")


def _frame(title: str, top: float, unit: str, bottom: float = 0.0) -> list[str]:
    plot_h = HEIGHT - _TOP - _BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13" {_FONT} '
        f'fill="#222">{escape(title)}</text>',
    ]
    for k in range(5):
        value = bottom + (top - bottom) * k / 4
        y = _TOP + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" {_FONT} '
            f'fill="#555">{_fmt(value)}</text>'
        )
    if unit:
        parts.append(
            f'<text x="4" y="{_TOP - 8}" font-size="10" {_FONT} fill="#555">{escape(unit)}</text>'
        )
    return parts


def _x_labels(categories: Sequence[str], xs: Sequence[float]) -> list[str]:
    step = max(1, len(categories) // 12)  # at most about a dozen labels
    return [
        f'<text x="{x:.1f}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="middle" font-size="10" '
        f'{_FONT} fill="#333">{escape(str(c))}</text>'
        for i, (c, x) in enumerate(zip(categories, xs, strict=True))
        if i % step == 0
    ]


def empty_chart(title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 60" width="{WIDTH}" '
        f'height="60" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="{WIDTH / 2}" y="34" text-anchor="middle" font-size="12" {_FONT} '
        f'fill="#777">{escape(title)}：本期无记录</text></svg>'
    )


def bar_chart(
    categories: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    unit: str = "",
    floor: float = 0.0,
    decimals: int | None = None,
    threshold: tuple[str, float] | None = None,
) -> str:
    """Vertical bars, one per category, the value written above each; the axis starts at
    ``floor`` (an availability chart starts near its target, not at 0)."""
    numbers = [v for v in values if v is not None]
    if not categories or not numbers:
        return empty_chart(title)
    high = max(numbers + ([threshold[1]] if threshold else []))
    top = floor + _nice_max(high - floor)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    slot = plot_w / len(categories)
    bar = min(48.0, slot * 0.6)
    parts = _frame(title, top, unit, floor)
    xs = []
    for i, value in enumerate(values):
        x = _LEFT + slot * i + slot / 2
        xs.append(x)
        if value is None:
            continue
        h = plot_h * max(0.0, value - floor) / (top - floor)
        y = _TOP + plot_h - h
        parts.append(
            f'<rect x="{x - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{COLOURS[0]}"/>'
        )
        if len(categories) <= 24:
            text = _fmt(value) if decimals is None else f"{value:.{decimals}f}"
            parts.append(
                f'<text x="{x:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10" {_FONT} '
                f'fill="#222">{text}</text>'
            )
    if threshold:
        y = _TOP + plot_h - plot_h * (threshold[1] - floor) / (top - floor)
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="#c53030" stroke-width="1.2" stroke-dasharray="5 4"/>'
        )
        parts.append(
            f'<text x="{WIDTH - _RIGHT}" y="{y - 4:.1f}" text-anchor="end" font-size="10" '
            f'{_FONT} fill="#c53030">{escape(threshold[0])}</text>'
        )
    parts += _x_labels(categories, xs)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    unit: str = "",
    threshold: tuple[str, float] | None = None,
    floor: float | None = None,
) -> str:
    """One polyline per series over the categories, an optional dashed threshold line; the
    axis starts at ``floor`` (default 0)."""
    numbers = [v for _, vals in series for v in vals if v is not None]
    if not categories or not numbers:
        return empty_chart(title)
    bottom = 0.0 if floor is None else floor
    high = max(numbers + ([threshold[1]] if threshold else []))
    top = bottom + _nice_max(high - bottom)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    n = len(categories)
    xs = [_LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]

    def y_of(value: float) -> float:
        return _TOP + plot_h - plot_h * (value - bottom) / (top - bottom)

    parts = _frame(title, top, unit, bottom)
    if threshold:
        y = y_of(threshold[1])
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="#c53030" stroke-width="1.2" stroke-dasharray="5 4"/>'
        )
        parts.append(
            f'<text x="{WIDTH - _RIGHT}" y="{y - 4:.1f}" text-anchor="end" font-size="10" '
            f'{_FONT} fill="#c53030">{escape(threshold[0])}</text>'
        )
    for k, (name, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        points = [
            f"{x:.1f},{y_of(v):.1f}" for x, v in zip(xs, values, strict=True) if v is not None
        ]
        if len(points) > 1:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
        if len(points) <= 31:
            for point in points:
                cx, cy = point.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
        parts.append(
            f'<text x="{_LEFT + 8 + 120 * k}" y="{HEIGHT - 8}" font-size="10" {_FONT} '
            f'fill="{colour}">— {escape(name)}</text>'
        )
    parts += _x_labels(categories, xs)
    parts.append("</svg>")
    return "".join(parts)
