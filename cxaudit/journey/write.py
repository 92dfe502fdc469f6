"""A journey written as YAML (format v1): readable, valid, and read back as the same journey.

The one writer of new journey files (``discover``, ``import``, ``example``);
``calibrate`` edits an existing file in place instead, keeping its comments
and layout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from cxaudit.model import Evidence, Journey

__all__ = ["evidence_text", "journey_yaml", "round_shares", "yaml_text"]


def yaml_text(value: str) -> str:
    """``value`` as a double-quoted YAML scalar that reads back as exactly ``value``.

    Printable characters (emoji included) are written as they are; control
    characters, YAML's other line breaks (U+0085, U+2028, U+2029), format
    characters such as bidirectional overrides and a byte-order mark, and
    anything else not printable are written as escapes.

    >>> print(yaml_text('Pay "now" 🎉'), yaml_text("a\\x1bb\\x85c\\u202ed"))
    "Pay \\"now\\" 🎉" "a\\u001bb\\u0085c\\u202ed"
    """
    quoted = json.dumps(value, ensure_ascii=False)
    if quoted.isprintable():
        return quoted
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in quoted)


def _plain(word: str) -> str:
    """A word as it is (``month``), anything else quoted."""
    return word if word.isascii() and word.isalpha() and word.islower() else yaml_text(word)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _number(value: float) -> str:
    return f"{round(value, 6):.6f}".rstrip("0").rstrip(".") or "0"


def journey_yaml(journey: Journey, header: Sequence[str] = (), duration_notes: Mapping[str, str] | None = None) -> str:
    """The journey as YAML text that ``cxaudit validate`` accepts.

    Rows of probabilities are written with six decimals and sum to exactly 1.
    ``header`` lines become comments at the top, ``duration_notes`` a comment
    after a step's duration. A step's ``evidence`` and the journey's
    ``cases`` and ``variants`` are written when the journey has them.
    """

    duration_notes = duration_notes or {}
    lines = [f"# {line}" for line in header]
    lines += ["cxaudit: 1", "journey:", f"  id: {journey.id}", f"  name: {yaml_text(journey.name)}"]
    if journey.description:
        lines.append(f"  description: {yaml_text(journey.description)}")
    lines += [f"  volume: {_number(journey.volume)}", f"  period: {_plain(journey.period)}"]
    if journey.cases is not None:
        lines.append(f"  cases: {journey.cases}")
    if journey.currency:
        lines.append(f"  currency: {journey.currency}")
    if journey.value is not None:
        lines.append(f"  value: {_number(journey.value)}")
    if journey.variants:
        lines.append("  variants:  # the most common paths of the log's cases, and how many cases took each")
        lines += [f"  - {{cases: {v.cases}, steps: [{', '.join(v.steps)}]}}" for v in journey.variants]
    units = round_shares([round(e.share * 10**9) for e in journey.entry])
    lines.append(
        "entry: {"
        + ", ".join(f"{e.step}: {_number(u / 10**6)}" for e, u in zip(journey.entry, units, strict=True) if u)
        + "}"
    )
    if journey.channels:
        lines.append("channels:")
        for channel in journey.channels.values():
            cost = "" if channel.cost is None else f", cost: {_number(channel.cost)}"
            lines.append(
                f"  {channel.id}: {{name: {yaml_text(channel.name)}, assisted: {str(channel.assisted).lower()}{cost}}}"
            )
    if journey.owners:
        lines.append("owners:")
        lines += [f"  {owner.id}: {{name: {yaml_text(owner.name)}}}" for owner in journey.owners.values()]
    lines.append("steps:")
    for step in journey.steps.values():
        lines += [f"  {step.id}:", f"    name: {yaml_text(step.name)}"]
        if step.type != "step":
            lines.append(f"    type: {step.type}")
        if step.after:
            lines.append(f"    after: [{', '.join(yaml_text(name) for name in step.after)}]")
        for field in ("channel", "owner"):
            if getattr(step, field):
                lines.append(f"    {field}: {getattr(step, field)}")
        if step.effort is not None:
            lines.append(f"    effort: {step.effort}")
        if step.duration_s is not None:
            note = f"  # {duration_notes[step.id]}" if step.id in duration_notes else ""
            lines.append(f"    duration: {_number(step.duration_s)}{note}")
        if step.next:
            shares = round_shares([round(t.probability * 10**9) for t in step.next])
            pairs = ", ".join(f"{t.target}: {_number(u / 10**6)}" for t, u in zip(step.next, shares, strict=True) if u)
            lines.append(f"    next: {{{pairs}}}")
        if step.evidence is not None:
            lines.append(f"    evidence: {evidence_text(step.evidence)}")
        if step.notes:
            lines.append(f"    notes: {yaml_text(step.notes)}")
        if not step.logged:
            lines.append("    logged: false")
    return "\n".join(lines) + "\n"


def evidence_text(evidence: Evidence) -> str:
    """A step's ``evidence`` as one flow mapping: its visits, where they went, the spread of its time.

    >>> evidence_text(Evidence(40, {"b": 30, "lost": 10}, 75.4))
    '{visits: 40, next: {b: 30, lost: 10}, duration_sd: 75}'
    """
    parts = [] if evidence.visits is None else [f"visits: {evidence.visits}"]
    if evidence.next:
        parts.append("next: {" + ", ".join(f"{t}: {n}" for t, n in evidence.next.items()) + "}")
    if evidence.duration_sd is not None:
        parts.append(f"duration_sd: {round(evidence.duration_sd)}")
    return "{" + ", ".join(parts) + "}"


def round_shares(counts: list[int], digits: int = 6) -> list[int]:
    """Shares of ``counts`` in units of 10^-digits that sum to exactly 10^digits.

    The largest-remainder method: every share is within one unit of the
    exact one, and the row sums to 1 with no rounding drift.

    >>> round_shares([1, 1, 1], 2)
    [34, 33, 33]
    """
    total = sum(counts)
    scale = 10**digits
    exact = [c * scale / total for c in counts]
    units = [int(x) for x in exact]
    missing = scale - sum(units)
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - units[i]), i))
    for i in order[:missing]:
        units[i] += 1
    return units
