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


BPMN_NODES = ["task", "userTask", "serviceTask", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
              "intermediateCatchEvent", "endEvent", "subProcess", "callActivity"]  # fmt: skip


@st.composite
def bpmn_models(draw, max_nodes: int = 12) -> str:
    """The XML of a BPMN process: any flow nodes wired any way (well-formed or not), some lanes and boundaries."""
    n = draw(st.integers(1, max_nodes))
    kinds = [draw(st.sampled_from(BPMN_NODES)) for _ in range(n)]
    ids = [f"n{i}" for i in range(n)]
    starts = draw(st.integers(0, 2))
    body = [f'<startEvent id="start{k}"/>' for k in range(starts)]
    flows: list[tuple[str, str]] = []
    for k in range(starts):
        flows += [(f"start{k}", t) for t in draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))]
    for node, kind in zip(ids, kinds, strict=True):
        name = draw(st.sampled_from(["", "Check", "Cancel order", "Call us", "A\nB"]))
        label = f' name="{name}"' if name else ""
        if kind == "subProcess" and draw(st.booleans()):  # expanded: a start, a task and an end inside
            body.append(
                f'<subProcess id="{node}"{label}><startEvent id="{node}_s"/><task id="{node}_t"/>'
                f'<endEvent id="{node}_e"/><sequenceFlow id="{node}_f1" sourceRef="{node}_s" targetRef="{node}_t"/>'
                f'<sequenceFlow id="{node}_f2" sourceRef="{node}_t" targetRef="{node}_e"/></subProcess>'
            )
        else:
            body.append(f'<{kind} id="{node}"{label}/>')
        if kind != "endEvent":
            flows += [(node, t) for t in draw(st.lists(st.sampled_from(ids), max_size=3))]
    if n > 1 and draw(st.booleans()):
        host = draw(st.sampled_from(ids))
        body.append(f'<boundaryEvent id="b0" attachedToRef="{host}"/>')
        flows.append(("b0", draw(st.sampled_from(ids))))
    if draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(ids), max_size=n, unique=True))
        refs = "".join(f"<flowNodeRef>{m}</flowNodeRef>" for m in members)
        body.insert(0, f'<laneSet id="ls"><lane id="l1" name="Back office">{refs}</lane></laneSet>')
    body += [f'<sequenceFlow id="f{i}" sourceRef="{s}" targetRef="{t}"/>' for i, (s, t) in enumerate(flows)]
    return (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        f'<process id="p" name="Random">{"".join(body)}</process></definitions>'
    )


@st.composite
def structured_bpmn(
    draw, max_depth: int = 3, blocks: tuple[str, ...] = ("task", "sequence", "parallel", "exclusive", "loop")
) -> tuple[str, int]:
    """A block-structured process (sequences, parallel and exclusive blocks, loops), and its task count.

    Every parallel split here has its join, so cxaudit flattens each one.
    """
    nodes: list[str] = []
    flows: list[tuple[str, str]] = []
    counter = itertools.count()

    def block(depth: int) -> tuple[str, str]:
        """Build a block; return its first and last node."""
        kind = draw(st.sampled_from(blocks if depth else ["task"]))
        if kind == "task":
            node = f"t{next(counter)}"
            nodes.append(f'<task id="{node}" name="Task {node}"/>')
            return node, node
        if kind == "sequence":
            parts = [block(depth - 1) for _ in range(draw(st.integers(2, 3)))]
            for (_, last), (first, _) in itertools.pairwise(parts):
                flows.append((last, first))
            return parts[0][0], parts[-1][1]
        if kind == "loop":  # a block, then a gateway that goes back or on
            first, last = block(depth - 1)
            gateway = f"g{next(counter)}"
            nodes.append(f'<exclusiveGateway id="{gateway}"/>')
            flows.extend([(last, gateway), (gateway, first)])
            return first, gateway
        tag = "parallelGateway" if kind == "parallel" else "exclusiveGateway"
        split, join = f"g{next(counter)}", f"g{next(counter)}"
        nodes.extend([f'<{tag} id="{split}"/>', f'<{tag} id="{join}"/>'])
        for _ in range(draw(st.integers(2, 3))):
            first, last = block(depth - 1)
            flows.extend([(split, first), (last, join)])
        return split, join

    first, last = block(max_depth)
    nodes += ['<startEvent id="start"/>', '<endEvent id="end" name="Done"/>']
    flows += [("start", first), (last, "end")]
    body = "".join(nodes) + "".join(
        f'<sequenceFlow id="f{i}" sourceRef="{s}" targetRef="{t}"/>' for i, (s, t) in enumerate(flows)
    )
    tasks = sum(1 for node in nodes if node.startswith("<task"))
    return (
        f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">{body}</process></definitions>',
        tasks,
    )
