"""Journey diagrams: Mermaid (GitHub and GitLab render it) and Graphviz DOT.

Steps are labelled with their names, transitions with the share of entering
customers who take them. Outcomes, contact steps and potholes (steps with a
finding) are marked with classes and colours; dead ends and trap loops are
highlighted. Large journeys are cut to the part that matters: the most
probable path to success and the neighbourhoods of the top findings.

User text (names) never reaches the diagram source unescaped: node ids are
generated, labels are quoted with every character that could end them, start
a directive or inject markup replaced by an entity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cxaudit import fmt
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit

MAX_STEPS = 60
"""Above this many steps, a diagram shows only the part that matters."""
TOP_FINDINGS = 10

COLOURS = {
    "success": ("#d1fadf", "#039855", "#054f31"),
    "abandon": ("#fee4e2", "#d92d20", "#7a271a"),
    "decline": ("#f2f4f7", "#475467", "#101828"),
    "contact": ("#fef0c7", "#dc6803", "#7a2e0e"),
    "pothole": ("#ffffff", "#d92d20", "#101828"),
    "stuck": ("#d92d20", "#7a271a", "#ffffff"),
}
POTHOLE_CODES = {"FR01", "FR02", "FR03", "FR05", "CT01", "CT02", "CT03"}


@dataclass(frozen=True)
class DiagramView:
    """Which steps a diagram shows, with how each is marked."""

    steps: tuple[str, ...]
    total: int
    marks: dict[str, str]
    """Step id -> success, abandon, decline, contact, pothole or stuck."""

    @property
    def partial(self) -> bool:
        return len(self.steps) < self.total


def view(audit: JourneyAudit, max_steps: int = MAX_STEPS) -> DiagramView:
    """The steps to draw and their marks."""
    journey = audit.journey
    stuck = audit.structure.stuck
    potholes = {f.step for f in audit.active if f.code in POTHOLE_CODES and f.step}
    marks: dict[str, str] = {}
    for step_id, step in journey.steps.items():
        if step_id in stuck:
            marks[step_id] = "stuck"
        elif step.is_outcome:
            marks[step_id] = step.type
        elif step_id in potholes:
            marks[step_id] = "pothole"
        elif step.is_contact:
            marks[step_id] = "contact"
    ids = list(journey.steps)
    if len(ids) <= max_steps:
        return DiagramView(tuple(ids), len(ids), marks)
    keep: set[str] = set(audit.path.steps) if audit.path else set()
    keep |= {e.step for e in journey.entry}
    for finding in audit.active[:TOP_FINDINGS]:
        for step_id in (finding.step, finding.target):
            if step_id is None:
                continue
            keep.add(step_id)
            keep |= {t.target for t in journey.steps[step_id].next}
            keep |= {s for s, step in journey.steps.items() if any(t.target == step_id for t in step.next)}
    # where the kept steps lead: outcomes and traps, so no edge ends in nothing
    ends = {t.target for step_id in keep for t in journey.steps[step_id].next}
    keep |= {step_id for step_id in ends if journey.steps[step_id].is_outcome or step_id in stuck}
    order = {step_id: i for i, step_id in enumerate(ids)}
    return DiagramView(tuple(sorted(keep, key=order.__getitem__)), len(ids), marks)


_MERMAID_ESCAPES = {
    '"': "#34;",
    "#": "#35;",
    "&": "#38;",
    "<": "#60;",
    ">": "#62;",
    "`": "#96;",
    "|": "#124;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "(": "#40;",
    ")": "#41;",
    "%": "#37;",
    ";": "#59;",
    "\\": "#92;",
}


def mermaid_text(text: str) -> str:
    """User text safe inside a quoted Mermaid label.

    No character can close the label, start a line (a directive, ``click``,
    ``%%``), or be read as Markdown or HTML.

    >>> mermaid_text('Pay "now" <b>|%%')
    'Pay #34;now#34; #60;b#62;#124;#37;#37;'
    """
    text = clean(re.sub(r"\s+", " ", text).strip())
    return "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in text)


def _share(audit: JourneyAudit, source: str, target: str) -> str:
    share = audit.markov.flows.get((source, target), 0.0)
    return "<0.1%" if 0 < share < 0.0005 else fmt.pct(share)


def edges(audit: JourneyAudit, shown: DiagramView) -> list[tuple[str, str, str, bool]]:
    """(source, target, share label, into a contact step) of each drawn transition."""
    steps = audit.journey.steps
    kept = set(shown.steps)
    return [
        (step_id, t.target, _share(audit, step_id, t.target), steps[t.target].is_contact)
        for step_id in shown.steps
        for t in steps[step_id].next
        if t.target in kept and t.probability > 0
    ]


def mermaid(audit: JourneyAudit, max_steps: int = MAX_STEPS) -> str:
    """The journey as a Mermaid flowchart (without the code fence)."""
    journey = audit.journey
    shown = view(audit, max_steps)
    node = {step_id: f"n{i}" for i, step_id in enumerate(journey.steps)}
    lines = ["flowchart TD"]
    if shown.partial:
        lines.append(f"  %% {len(shown.steps)} of {shown.total} steps: the most probable path and the top findings")
    for step_id in shown.steps:
        step = journey.steps[step_id]
        metrics = audit.markov.steps[step_id]
        label = mermaid_text(step.name)
        if not step.is_outcome:
            label += f"<br/>{fmt.pct(metrics.reach_probability)} reach"
        else:
            label += f"<br/>{fmt.pct(metrics.expected_visits)}"
        mark = shown.marks.get(step_id)
        if step.is_outcome:
            shape = f'(["{label}"])'
        elif step.is_contact:
            shape = f'{{{{"{label}"}}}}'
        else:
            shape = f'["{label}"]'
        lines.append(f"  {node[step_id]}{shape}")
    for source, target, share, into_contact in edges(audit, shown):
        arrow = "-.->" if into_contact else "-->"
        lines.append(f'  {node[source]} {arrow}|"{share}"| {node[target]}')
    for name, (fill, stroke, color) in COLOURS.items():
        width = "3px" if name in ("pothole", "stuck") else "1px"
        lines.append(f"  classDef {name} fill:{fill},stroke:{stroke},color:{color},stroke-width:{width}")
    by_mark: dict[str, list[str]] = {}
    for step_id in shown.steps:
        mark = shown.marks.get(step_id)
        if mark:
            by_mark.setdefault(mark, []).append(node[step_id])
    for mark in COLOURS:
        if mark in by_mark:
            lines.append(f"  class {','.join(by_mark[mark])} {mark}")
    return "\n".join(lines) + "\n"


def dot_text(text: str) -> str:
    """User text safe inside a double-quoted DOT string.

    >>> dot_text('a "b" \\\\ c')
    'a \\\\"b\\\\" \\\\\\\\ c'
    """
    text = clean(re.sub(r"\s+", " ", text).strip())
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(audit: JourneyAudit, max_steps: int = MAX_STEPS) -> str:
    """The journey as a Graphviz digraph."""
    journey = audit.journey
    shown = view(audit, max_steps)
    node = {step_id: f"n{i}" for i, step_id in enumerate(journey.steps)}
    lines = [
        f'digraph "{dot_text(journey.id)}" {{',
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    if shown.partial:
        lines.append(f"  // {len(shown.steps)} of {shown.total} steps: the most probable path and the top findings")
    for step_id in shown.steps:
        step = journey.steps[step_id]
        metrics = audit.markov.steps[step_id]
        share = metrics.expected_visits if step.is_outcome else metrics.reach_probability
        label = f"{dot_text(step.name)}\\n{fmt.pct(share)}{'' if step.is_outcome else ' reach'}"
        attributes = [f'label="{label}"']
        mark = shown.marks.get(step_id)
        if step.is_outcome:
            attributes.append("shape=ellipse")
        elif step.is_contact:
            attributes.append("shape=hexagon")
        if mark:
            fill, stroke, color = COLOURS[mark]
            attributes += [f'fillcolor="{fill}"', f'color="{stroke}"', f'fontcolor="{color}"']
            if mark in ("pothole", "stuck"):
                attributes.append("penwidth=3")
        lines.append(f"  {node[step_id]} [{', '.join(attributes)}];")
    for source, target, share, into_contact in edges(audit, shown):
        style = ", style=dashed" if into_contact else ""
        lines.append(f'  {node[source]} -> {node[target]} [label="{share}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"
