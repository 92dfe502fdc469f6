"""Hypothesis strategies: random valid journeys, with loops, traps, dead ends, contacts and several entries."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

OWNERS = ["sales", "ops", "care", "risk"]
CHANNELS = {
    "web": "{assisted: false}",
    "app": "{assisted: false}",
    "phone": "{assisted: true, cost: 7.5}",
    "chat": "{assisted: true, cost: 3}",
}


@st.composite
def shares(draw, count: int) -> list[float]:
    """``count`` probabilities (multiples of 1/1000) that sum to exactly 1."""
    cuts = sorted(draw(st.lists(st.integers(0, 1000), min_size=count - 1, max_size=count - 1)))
    points = [0, *cuts, 1000]
    return [(b - a) / 1000 for a, b in itertools.pairwise(points)]


@st.composite
def journeys(draw, max_steps: int = 12) -> str:
    """The text of a valid journey."""
    n = draw(st.integers(1, max_steps))
    ids = [f"s{i}" for i in range(n)]
    outcomes = ["ok", "ko"] if draw(st.booleans()) else ["ok"]
    lines = [
        "cxaudit: 1",
        f"journey: {{id: j, name: Journey, volume: {draw(st.sampled_from([1, 100, 12345, 1e6]))}"
        + (", value: 40, currency: EUR" if draw(st.booleans()) else "")
        + "}",
    ]
    entries = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    entry_shares = draw(shares(len(entries)))
    lines.append("entry: {" + ", ".join(f"{e}: {p}" for e, p in zip(entries, entry_shares, strict=True)) + "}")
    lines.append("channels:")
    lines += [f"  {name}: {body}" for name, body in CHANNELS.items()]
    lines.append("steps:")
    for step_id in ids:
        kind = draw(st.sampled_from(["step", "step", "step", "contact"]))
        fields = [f"name: Step {step_id}", f"type: {kind}"]
        if draw(st.booleans()):
            fields.append(f"owner: {draw(st.sampled_from(OWNERS))}")
        fields.append(f"channel: {draw(st.sampled_from(list(CHANNELS)))}")
        if draw(st.booleans()):
            fields.append(f"effort: {draw(st.integers(1, 5))}")
        if draw(st.booleans()):
            fields.append(f"duration: {draw(st.sampled_from(['30s', '2m', '1h', '1d', 90]))}")
        if draw(st.integers(0, 9)) != 0:  # one step in ten is a dead end
            targets = draw(st.lists(st.sampled_from(ids + outcomes), min_size=1, max_size=4, unique=True))
            probabilities = draw(shares(len(targets)))
            pairs = ", ".join(f"{t}: {p}" for t, p in zip(targets, probabilities, strict=True))
            fields.append(f"next: {{{pairs}}}")
        lines.append(f"  {step_id}: {{{', '.join(fields)}}}")
    lines.append("  ok: {type: success, name: Done}")
    if "ko" in outcomes:
        lines.append("  ko: {type: abandon, name: Gave up}")
    return "\n".join(lines) + "\n"
