"""BPMN 2.0 models as journeys: read safely, map element by element, report what does not map.

Tasks and intermediate events become steps (named as in the model); start
events give the entry; end events become outcomes (abandon for error,
cancel and terminate ends, or a name matching the abandon pattern; success
otherwise); sequence flows (their ``sourceRef`` and ``targetRef``, not the
optional ``incoming``/``outgoing`` tags) become transitions; gateways do not
become steps: a flow into a gateway continues to the gateway's targets, the
share split evenly and marked as assumed in the step's ``notes``, except that a
parallel split is flattened into a sequence of its branches; sub-processes
are inlined; lanes become owners; boundary events become transitions from
their host; a message flow to or from the customer's pool makes a step a
contact step. Every step and finding points at the BPMN element's line.

The XML is read with defusedxml: DTDs, entities and external references are
refused, so a billion-laughs or external-entity file stops with exit 2.
"""

from __future__ import annotations

import re
from typing import Any

from cxaudit.bpmn.model import Model, Node, local
from cxaudit.bpmn.names import label as _label
from cxaudit.bpmn.names import thrown as _thrown
from cxaudit.bpmn.parallel import flatten_parallel
from cxaudit.bpmn.simulation import simulation
from cxaudit.errors import JourneyError, Problem
from cxaudit.journey.ids import slug, unique_slugs
from cxaudit.journey.source import DEFAULT_LIMITS, Limits
from cxaudit.model import Entry, Journey, Owner, SourceSpan, Step, Transition, frozen_map
from cxaudit.spec import did_you_mean

ACTIVITIES = {
    "task", "userTask", "serviceTask", "sendTask", "receiveTask", "manualTask", "scriptTask", "businessRuleTask",
    "callActivity",
}  # fmt: skip
EVENTS = {"intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
IGNORED = {
    "sequenceFlow", "laneSet", "lane", "flowNodeRef", "childLaneSet", "incoming", "outgoing", "documentation",
    "extensionElements", "textAnnotation", "association", "dataObject", "dataObjectReference", "dataStoreReference",
    "dataInputAssociation", "dataOutputAssociation", "ioSpecification", "dataInput", "dataOutput", "inputSet",
    "outputSet", "property", "conditionExpression", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
    "group", "category", "categoryValue", "text", "script", "timerEventDefinition", "messageEventDefinition",
    "signalEventDefinition", "errorEventDefinition", "cancelEventDefinition", "terminateEventDefinition",
    "escalationEventDefinition", "compensateEventDefinition", "conditionalEventDefinition", "linkEventDefinition",
    "timeDuration", "timeCycle", "timeDate", "condition", "sourceRef", "targetRef", "targetNamespace",
    "resourceRole", "performer", "humanPerformer", "potentialOwner", "resourceAssignmentExpression",
    "formalExpression", "completionCondition", "loopCardinality",
}  # fmt: skip
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS | CONTAINERS | {"startEvent", "endEvent", "boundaryEvent"}
ABANDON_DEFINITIONS = {"errorEventDefinition", "cancelEventDefinition", "terminateEventDefinition"}
DEFAULT_ABANDON = (
    r"(?i)cancel|abandon|reject|declin|fail|lost|gave up|give up|error|timeout|timed out|expired|withdr[ae]w"
)
DEFAULT_DECLINE = r"(?i)reject|declin|refus|denied|not approved|turned down|ineligible"
"""End events named like a decision of the organisation: ``decline`` outcomes, not customers giving up."""
DEFAULT_CUSTOMER = r"(?i)customer|client|user|applicant|consumer"


def _slug(text: str) -> str:
    return slug(text, empty="node")


def parse(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> Model:
    """Parse BPMN XML safely, keeping each element's line and column."""
    try:
        from defusedxml.common import DefusedXmlException
        from defusedxml.ElementTree import DefusedXMLParser
    except ImportError:
        raise JourneyError(
            [Problem(name, 0, 0, "reading BPMN needs defusedxml, which is not installed: pip install 'cxaudit[bpmn]'")]
        ) from None
    from xml.etree.ElementTree import ParseError, TreeBuilder

    if len(data) > limits.max_file_bytes:
        raise JourneyError([Problem(name, 0, 0, f"file is larger than the limit of {limits.max_file_bytes:,} bytes")])
    positions: dict[int, tuple[int, int]] = {}

    class Builder(TreeBuilder):
        def start(self, tag: str, attrs: dict[str, str]) -> Any:  # type: ignore[override]
            element = super().start(tag, attrs)
            expat = parser.parser
            positions[id(element)] = (expat.CurrentLineNumber, expat.CurrentColumnNumber + 1)
            return element

    parser = DefusedXMLParser(target=Builder(), forbid_dtd=True)
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise JourneyError(
            [
                Problem(
                    name, 1, 1, f"refused to read the model: {type(exc).__name__}; BPMN files need no DTD or entities"
                )
            ]
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (1, 0))
        raise JourneyError([Problem(name, line, column + 1, f"invalid XML: {exc}")]) from None
    if local(root.tag) != "definitions":
        raise JourneyError([Problem(name, 1, 1, "not a BPMN 2.0 model: the root element is not 'definitions'")])
    return Model(name, positions, root)


def to_journey(
    model: Model,
    *,
    abandon_pattern: str = DEFAULT_ABANDON,
    customer_pattern: str = DEFAULT_CUSTOMER,
    decline_pattern: str = DEFAULT_DECLINE,
    process_id: str | None = None,
) -> Journey:
    """The journey a BPMN model describes: the process ``process_id``, or its main process.

    The main process is the one with the most flow nodes among those that no
    call activity calls (the first of them on a tie).
    """
    name = model.name
    root = model.root
    processes = [p for p in root if local(p.tag) == "process"]
    if not processes:
        raise JourneyError([Problem(name, *model.where(root), "the model has no process")])
    if process_id is not None:
        chosen = [p for p in processes if p.get("id") == process_id]
        if not chosen:
            ids = [p.get("id") or "" for p in processes]
            raise JourneyError(
                [
                    Problem(
                        name,
                        *model.where(root),
                        f"no process '{process_id}' in the model (its processes: {', '.join(ids)})"
                        f"{did_you_mean(process_id, ids)}",
                        "",
                    )
                ]
            )
        process = chosen[0]
    else:
        called = {e.get("calledElement") for e in root.iter() if local(e.tag) == "callActivity"} - {None}
        candidates = [p for p in processes if p.get("id") not in called] or processes
        # the largest; max keeps the first of equals
        process = max(candidates, key=lambda p: sum(local(c.tag) in FLOW_NODES for c in p))
    for other in processes:
        if other is process:
            continue
        model.problems.append(
            Problem(
                name,
                *model.where(other),
                f"process '{other.get('id')}' left out: one journey per process (import it with --process)",
                "",
            )
        )
    nodes: dict[str, Node] = {}
    flows: list[tuple[str, str, Any]] = []
    owners_of: dict[str, str] = {}
    lanes: dict[str, str] = {}
    boundaries: dict[str, list[str]] = {}

    def collect(container: Any, inside: str | None) -> None:
        for element in container:
            tag = local(element.tag)
            element_id = element.get("id")
            if tag == "sequenceFlow":
                source, target = element.get("sourceRef"), element.get("targetRef")
                if source and target:
                    flows.append((source, target, element))
                continue
            if tag == "laneSet":
                _lanes(element, lanes, owners_of)
                continue
            if element_id is None:
                continue
            if tag in FLOW_NODES:
                nodes[element_id] = Node(element, tag, *model.where(element), inside)
                if tag == "boundaryEvent" and element.get("attachedToRef"):
                    boundaries.setdefault(element.get("attachedToRef"), []).append(element_id)
                if tag in CONTAINERS:
                    collect(element, element_id)
            elif tag not in IGNORED:
                model.problems.append(
                    Problem(name, *model.where(element), f"element '{element_id}' ({tag}) is not mapped to the journey")
                )

    collect(process, None)
    simulated = simulation(root)
    probability: dict[tuple[str, str], float] = {}
    for source, target, element in flows:
        given = simulated.flows.get(element.get("id") or "")
        if given is not None:
            probability[source, target] = probability.get((source, target), 0.0) + given
    outgoing: dict[str, list[str]] = {}
    incoming: dict[str, list[str]] = {}
    for source, target, element in flows:
        if source not in nodes or target not in nodes:
            missing = source if source not in nodes else target
            model.problems.append(
                Problem(
                    name, *model.where(element), f"sequence flow '{element.get('id')}' refers to unknown '{missing}'"
                )
            )
            continue
        outgoing.setdefault(source, []).append(target)
        incoming.setdefault(target, []).append(source)
    raised: dict[str, list[str]] = {}  # a sub-process's boundary events that its own end events throw to
    for host, events in boundaries.items():
        inner_ends = [n for n, node in nodes.items() if node.container == host and node.kind == "endEvent"]
        for event in events:
            thrown = [end for end in inner_ends if _thrown(nodes[end].element) & _thrown(nodes[event].element)]
            if thrown:
                for end in thrown:
                    raised.setdefault(end, []).append(event)
                incoming.setdefault(event, []).append(host)
                if host in owners_of:
                    owners_of.setdefault(event, owners_of[host])
                continue
            outgoing.setdefault(host, []).append(event)
            incoming.setdefault(event, []).append(host)
            if host in owners_of:
                owners_of.setdefault(event, owners_of[host])  # a boundary event belongs to its host's lane

    flattened = flatten_parallel(nodes, outgoing, incoming, model)
    inner_starts: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        if node.container:
            if node.kind == "startEvent":
                inner_starts.setdefault(node.container, []).append(node_id)
            if node.container in owners_of:
                owners_of.setdefault(node_id, owners_of[node.container])  # inside a sub-process: its lane

    # Which nodes become steps: activities, intermediate and boundary events, end events;
    # gateways and sub-processes only when nothing flows in or out of them (so they are reported).
    def is_step(node_id: str) -> bool:
        node = nodes[node_id]
        kind = node.kind
        if node_id in raised:
            return False  # an error or cancel end: customers continue at the sub-process's boundary event
        if kind == "endEvent" and node.container and outgoing.get(node.container):
            return False  # the end of a sub-process: customers continue after the sub-process
        if kind in ACTIVITIES | EVENTS | {"endEvent", "boundaryEvent"}:
            return True
        if kind in CONTAINERS and not inner_starts.get(node_id):
            return True  # a collapsed sub-process: its content is not in the model, so it is one step
        if kind in GATEWAYS | CONTAINERS:
            return not outgoing.get(node_id) or not incoming.get(node_id)
        return False

    def successors(node_id: str, share: float, seen: frozenset[str]) -> list[tuple[str, float, bool]]:
        """Where a customer at ``node_id`` can go next: (step, share, assumed)."""
        node = nodes[node_id]
        if node_id in raised:  # an error or cancel end continues at the boundary event that catches it
            part = share / len(raised[node_id])
            return [hit for event in raised[node_id] for hit in enter(event, part, seen, False)]
        if node.kind == "endEvent" and node.container and outgoing.get(node.container):
            # the end of a sub-process continues after the sub-process
            return continue_from(node.container, share, seen)
        return continue_from(node_id, share, seen)

    def continue_from(node_id: str, share: float, seen: frozenset[str]) -> list[tuple[str, float, bool]]:
        targets = outgoing.get(node_id, [])
        if not targets:
            return []
        out: list[tuple[str, float, bool]] = []
        given = [probability.get((node_id, target)) for target in targets]
        if len(targets) > 1 and all(p is not None for p in given) and sum(given) > 0:  # type: ignore[arg-type]
            # the model's own simulation says how often each branch is taken
            total = sum(given)  # type: ignore[arg-type]
            for target, p in zip(targets, given, strict=True):
                out += enter(target, share * p / total, seen, False)  # type: ignore[operator]
            return out
        part = share / len(targets)
        assumed = len(targets) > 1
        for target in targets:
            out += enter(target, part, seen, assumed)
        return out

    def enter(node_id: str, share: float, seen: frozenset[str], assumed: bool) -> list[tuple[str, float, bool]]:
        if node_id in seen:  # a loop of gateways only
            return []
        node = nodes[node_id]
        if node.kind in CONTAINERS and inner_starts.get(node_id):
            starts = inner_starts[node_id]
            part = share / len(starts)
            out = []
            for start in starts:
                out += [(t, p, a or assumed) for t, p, a in continue_from(start, part, seen | {node_id})]
            return out
        if is_step(node_id) or node.kind == "startEvent":
            return [(node_id, share, assumed)]
        if node_id in raised:
            return [(t, p, a or assumed) for t, p, a in successors(node_id, share, seen | {node_id})]
        if node.kind == "endEvent":  # the end of a sub-process
            return [(t, p, a or assumed) for t, p, a in continue_from(node.container, share, seen | {node_id})]
        return [(t, p, a or assumed) for t, p, a in continue_from(node_id, share, seen | {node_id})]

    starts = [n for n, node in nodes.items() if node.kind == "startEvent" and not node.container]
    implicit = False
    if not starts:
        # BPMN's implicit start: top-level nodes nothing flows into
        starts = [n for n, node in nodes.items() if not node.container and not incoming.get(n)]
        implicit = True
        where = model.where(process)
        if not starts:
            message = (
                f"process '{process.get('id')}' has no start event; a journey needs one to know where customers enter"
            )
            raise JourneyError([*model.problems, Problem(name, *where, message, "")])
        model.problems.append(
            Problem(
                name,
                *where,
                f"process '{process.get('id')}' has no start event; customers are assumed to enter where nothing "
                f"flows in: {', '.join(starts)}",
                "",
            )
        )
    customer = _customer_nodes(root, nodes, re.compile(customer_pattern))
    abandon = re.compile(abandon_pattern)
    decline = re.compile(decline_pattern)
    # A start event that leads nowhere is a dead end of its own, reported as one.
    lonely_starts = {s for s in starts if nodes[s].kind == "startEvent" and not outgoing.get(s)}
    labels = {
        n: _label(nodes[n], nodes, boundaries)
        for n in nodes
        if is_step(n) or n in lonely_starts or (implicit and n in starts)
    }
    step_ids = unique_slugs(labels, empty="node")

    steps: dict[str, Step] = {}
    for node_id, step_id in step_ids.items():
        node = nodes[node_id]
        element = node.element
        label = labels[node_id]
        span = SourceSpan(name, node.line, node.column)
        if node.kind == "endEvent" and not (node.container and outgoing.get(node.container)):
            definitions = {local(child.tag) for child in element}
            if decline.search(label):  # the organisation's decision, whatever its definition
                kind = "decline"
            elif definitions & ABANDON_DEFINITIONS or abandon.search(label):
                kind = "abandon"
            else:
                kind = "success"
            steps[step_id] = Step(
                step_id,
                label,
                kind,
                None,
                None,
                None,
                None,
                None,
                (),
                frozen_map({}),
                None,
                span,
                origin=node_id,
                logged=False,  # no log records an end event: a case ends at its last task
            )
            continue
        shares: dict[str, float] = {}
        assumed = False
        for target, share, guessed in successors(node_id, 1.0, frozenset()):
            if target in step_ids:
                shares[step_ids[target]] = shares.get(step_ids[target], 0.0) + share
                assumed = assumed or guessed
        total = sum(shares.values())
        transitions = (
            tuple(Transition(step_id, target, share / total, span) for target, share in shares.items())
            if total > 0
            else ()
        )
        note = f"BPMN {node.kind} '{node_id}'"
        if node_id in flattened:
            note += f"; parallel branches of gateway '{flattened[node_id]}' taken one after another"
        if assumed:
            note += "; shares split evenly at gateways (assumed: calibrate from a log)"
        if node_id in simulated.durations:
            note += "; duration: the mean of the model's simulation"
        kind = "contact" if node_id in customer else "step"
        steps[step_id] = Step(
            step_id,
            label,
            kind,
            None,
            owners_of.get(node_id),
            None,
            simulated.durations.get(node_id),
            None,
            transitions,
            frozen_map({}),
            note,
            span,
            origin=node_id,
        )
    entry_shares: dict[str, float] = {}
    for start in starts:
        if start in step_ids and (start in lonely_starts or implicit):
            entry_shares[step_ids[start]] = entry_shares.get(step_ids[start], 0.0) + 1.0 / len(starts)
            continue
        for target, share, _ in successors(start, 1.0 / len(starts), frozenset()):
            if target in step_ids:
                entry_shares[step_ids[target]] = entry_shares.get(step_ids[target], 0.0) + share
    if not entry_shares:
        raise JourneyError(
            [
                *model.problems,
                Problem(
                    name,
                    *model.where(nodes[starts[0]].element),
                    f"start event '{starts[0]}' leads to no task or event",
                    "",
                ),
            ]
        )
    total = sum(entry_shares.values())
    entry = tuple(
        Entry(step_id, share / total, SourceSpan(name, *model.where(nodes[starts[0]].element)))
        for step_id, share in entry_shares.items()
    )
    owners = {
        lane_id: Owner(lane_id, lane_name, SourceSpan(name, 1, 1)) for lane_id, lane_name in sorted(lanes.items())
    }
    return Journey(
        id=_slug(process.get("id") or "process"),
        name=(process.get("name") or "").strip() or process.get("id") or "Process",
        description=None,
        volume=1.0,
        period="period",
        currency=None,
        value=None,
        entry=entry,
        channels=frozen_map({}),
        owners=frozen_map(owners),
        steps=frozen_map(steps),
        file=name,
        span=SourceSpan(name, *model.where(process)),
    )


def _lanes(lane_set: Any, lanes: dict[str, str], owners_of: dict[str, str]) -> None:
    for lane in lane_set:
        if local(lane.tag) != "lane":
            continue
        lane_name = (lane.get("name") or lane.get("id") or "lane").strip()
        lane_id = _slug(lane_name)
        lanes[lane_id] = lane_name
        for child in lane:
            tag = local(child.tag)
            if tag == "flowNodeRef" and child.text:
                owners_of[child.text.strip()] = lane_id
            elif tag == "childLaneSet":
                _lanes(child, lanes, owners_of)


def _customer_nodes(root: Any, nodes: dict[str, Node], pattern: re.Pattern[str]) -> set[str]:
    """Flow nodes with a message flow to or from a pool named as the customer."""
    customer_pools: set[str] = set()
    customer_nodes: set[str] = set()
    flows = []
    for collaboration in root:
        if local(collaboration.tag) != "collaboration":
            continue
        for child in collaboration:
            tag = local(child.tag)
            if tag == "participant" and pattern.search(child.get("name") or ""):
                customer_pools.add(child.get("id") or "")
            elif tag == "messageFlow":
                flows.append((child.get("sourceRef"), child.get("targetRef")))
    for source, target in flows:
        if source in customer_pools and target in nodes:
            customer_nodes.add(target)
        if target in customer_pools and source in nodes:
            customer_nodes.add(source)
    return customer_nodes


def load_bpmn(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Journey, list[Problem]]:
    """A journey from a BPMN file's bytes, and what could not be mapped."""
    model = parse(data, name, limits)
    journey = to_journey(model)
    return journey, model.problems
