"""Pictures as inline SVG, drawn here: the journey map and the charts of a report, with no Graphviz and no network.

The map is laid out in layers: each step one layer below the nearest step
that leads to it from the entry, steps in a layer ordered by where the steps
leading to them stand. Transitions going back up (retries, loops) bend round
the side. Marks and colours are those of the Mermaid and DOT diagrams
(:mod:`cxaudit.diagram`). Every text is escaped for XML; a long name is cut
on the picture and given whole as the box's tooltip.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from cxaudit import fmt
from cxaudit.diagram import COLOURS, MAX_STEPS, edges, view
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit

WIDTH, HEIGHT = 176, 46
"""A step's box."""
GAP_X, GAP_Y = 28, 74
FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"
PLAIN = ("#ffffff", "#98a2b3", "#101828")
MAX_NAME = 26
"""Characters of a name shown in a box (the tooltip has all of it)."""


def _text(value: str) -> str:
    return escape(clean(" ".join(value.split())), quote=True)


def _cut(name: str, limit: int = MAX_NAME) -> str:
    name = " ".join(name.split())
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "\u2026"


def _layers(audit: JourneyAudit, shown: list[str], links: list[tuple[str, str]]) -> list[list[str]]:
    """Steps by layer: breadth first from the entry, then any left over below; ordered by barycentre."""
    following: dict[str, list[str]] = {step: [] for step in shown}
    leading: dict[str, list[str]] = {step: [] for step in shown}
    for source, target in links:
        following[source].append(target)
        leading[target].append(source)
    rank: dict[str, int] = {}
    frontier = [entry.step for entry in audit.journey.entry if entry.step in following]
    for step in frontier:
        rank[step] = 0
    while frontier:
        upcoming = []
        for step in frontier:
            for target in following[step]:
                if target not in rank:
                    rank[target] = rank[step] + 1
                    upcoming.append(target)
        frontier = upcoming
    bottom = max(rank.values(), default=-1) + 1
    for step in shown:  # steps the shown part does not reach from the entry
        rank.setdefault(step, bottom)
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=0) + 1)]
    for step in shown:  # in file order first
        layers[rank[step]].append(step)
    for _ in range(2):  # each step under the mean place of the steps above that lead to it
        for index in range(1, len(layers)):
            place = {step: i for i, step in enumerate(layers[index - 1])}

            def centre(step: str, place: dict[str, int] = place) -> float:
                above = [place[source] for source in leading[step] if source in place]
                return sum(above) / len(above) if above else float("inf")

            layers[index].sort(key=centre)
    return [layer for layer in layers if layer]


def _shape(kind: str, x: float, y: float, colours: tuple[str, str, str], width: float) -> str:
    fill, stroke, _ = colours
    style = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    if kind == "outcome":
        return f'<rect x="{x:.1f}" y="{y:.1f}" width="{WIDTH}" height="{HEIGHT}" rx="{HEIGHT / 2}" {style}/>'
    if kind == "contact":
        inset = 14
        points = [
            (x + inset, y),
            (x + WIDTH - inset, y),
            (x + WIDTH, y + HEIGHT / 2),
            (x + WIDTH - inset, y + HEIGHT),
            (x + inset, y + HEIGHT),
            (x, y + HEIGHT / 2),
        ]
        return f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}" {style}/>'
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{WIDTH}" height="{HEIGHT}" rx="6" {style}/>'


def journey_map(audit: JourneyAudit, max_steps: int = MAX_STEPS) -> str:
    """The journey map as one ``<svg>`` element."""
    journey = audit.journey
    shown = view(audit, max_steps)
    drawn = edges(audit, shown)
    layers = _layers(audit, list(shown.steps), [(source, target) for source, target, _, _ in drawn])
    widest = max(len(layer) for layer in layers)
    width = widest * (WIDTH + GAP_X) + GAP_X + 80  # room on the right for loops going back up
    height = len(layers) * (HEIGHT + GAP_Y) + GAP_Y / 2
    at: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        offset = (widest - len(layer)) * (WIDTH + GAP_X) / 2
        for column, step in enumerate(layer):
            at[step] = (GAP_X + offset + column * (WIDTH + GAP_X), GAP_Y / 2 + row * (HEIGHT + GAP_Y))
    title = f"Journey map of {journey.name}"
    if shown.partial:
        title += f": {len(shown.steps)} of {shown.total} steps, the most probable path and the top findings"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="journey-map" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" style="{FONT}">',
        f"<title>{_text(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#667085"/></marker></defs>',
    ]
    for source, target, share, into_contact in drawn:
        (sx, sy), (tx, ty) = at[source], at[target]
        dash = ' stroke-dasharray="5 4"' if into_contact else ""
        if ty > sy:  # down to a later layer
            x1, y1, x2, y2 = sx + WIDTH / 2, sy + HEIGHT, tx + WIDTH / 2, ty
            middle = (y1 + y2) / 2
            path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"
            label_x, label_y = (x1 + x2) / 2, middle
        else:  # back up, or across: round the right-hand side
            x1, y1, x2, y2 = sx + WIDTH, sy + HEIGHT / 2, tx + WIDTH, ty + HEIGHT / 2
            bend = max(x1, x2) + 40 + abs(y1 - y2) / 6
            path = f"M{x1:.1f},{y1:.1f} C{bend:.1f},{y1:.1f} {bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
            label_x, label_y = bend - 10, (y1 + y2) / 2
        parts.append(
            f'<path d="{path}" fill="none" stroke="#667085" stroke-width="1.3"{dash} marker-end="url(#arrow)"/>'
        )
        parts.append(
            f'<text x="{label_x:.1f}" y="{label_y + 4:.1f}" font-size="11" text-anchor="middle" fill="#344054" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{_text(share)}</text>'
        )
    for step_id in shown.steps:
        step = journey.steps[step_id]
        x, y = at[step_id]
        mark = shown.marks.get(step_id)
        colours = COLOURS.get(mark, PLAIN) if mark else PLAIN
        kind = "outcome" if step.is_outcome else "contact" if step.is_contact else "step"
        metrics = audit.markov.steps[step_id]
        share = fmt.pct(metrics.expected_visits) if step.is_outcome else f"{fmt.pct(metrics.reach_probability)} reach"
        parts.append(f'<g class="step"><title>{_text(step.name)}: {_text(share)}</title>')
        parts.append(_shape(kind, x, y, colours, 3 if mark in ("pothole", "stuck") else 1.2))
        ink = colours[2]
        parts.append(
            f'<text x="{x + WIDTH / 2:.1f}" y="{y + 19:.1f}" font-size="12" text-anchor="middle" '
            f'fill="{ink}">{_text(_cut(step.name))}</text>'
        )
        parts.append(
            f'<text x="{x + WIDTH / 2:.1f}" y="{y + 35:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{ink}" opacity="0.8">{_text(share)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, bars: list[tuple[str, float, str]], colour: str = "#039855") -> str:
    """Horizontal bars (label, value, value as shown), longest first as given, as one ``<svg>``."""
    label_width, bar_width, row = 260, 360, 26
    width, height = label_width + bar_width + 150, row * len(bars) + 40
    top = max((value for _, value, _ in bars), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="{FONT}">',
        f"<title>{_text(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="#101828">{_text(title)}</text>',
    ]
    for index, (label, value, shown) in enumerate(bars):
        y = 30 + index * row
        length = max(bar_width * max(value, 0.0) / top, 1.0)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" font-size="12" text-anchor="end" fill="#344054">'
            f"{_text(_cut(label, 40))}</text>"
        )
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" font-size="12" fill="#344054">{_text(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


OUTCOME_COLOURS = {"success": "#039855", "abandon": "#d92d20", "decline": "#667085", "stuck": "#7a271a"}


def outcome_flow(title: str, shares: list[tuple[str, str, float]]) -> str:
    """Where customers end: one bar split by outcome (name, kind, share of customers), with a legend."""
    width, bar = 760, 28
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} '
        f'{60 + 20 * len(shares)}" width="{width}" height="{60 + 20 * len(shares)}" style="{FONT}">',
        f"<title>{_text(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="#101828">{_text(title)}</text>',
    ]
    x = 0.0
    for name, kind, share in shares:
        length = width * max(share, 0.0)
        colour = OUTCOME_COLOURS.get(kind, "#98a2b3")
        parts.append(
            f'<rect x="{x:.1f}" y="24" width="{length:.1f}" height="{bar}" fill="{colour}" stroke="#ffffff">'
            f"<title>{_text(name)}: {fmt.pct(share)}</title></rect>"
        )
        x += length
    for index, (name, kind, share) in enumerate(shares):
        y = 24 + bar + 18 + index * 20
        colour = OUTCOME_COLOURS.get(kind, "#98a2b3")
        parts.append(f'<rect x="0" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="18" y="{y}" font-size="12" fill="#344054">{_text(_cut(name, 60))}: {fmt.pct(share)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
