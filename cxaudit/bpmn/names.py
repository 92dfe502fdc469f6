"""Names and ids for the steps of an imported model, readable where the model gives none."""

from __future__ import annotations

import re
from typing import Any

_DEFINITIONS = {
    "timerEventDefinition": "Timer",
    "messageEventDefinition": "Message",
    "signalEventDefinition": "Signal",
    "errorEventDefinition": "Error",
    "cancelEventDefinition": "Cancel",
    "escalationEventDefinition": "Escalation",
    "compensateEventDefinition": "Compensation",
    "conditionalEventDefinition": "Condition",
    "terminateEventDefinition": "Terminate",
    "linkEventDefinition": "Link",
}
_KINDS = {
    "endEvent": "End",
    "startEvent": "Start",
    "boundaryEvent": "Boundary event",
    "intermediateCatchEvent": "Event",
    "intermediateThrowEvent": "Event",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _words(kind: str) -> str:
    """``userTask`` -> ``user task``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind).lower()


def label(node: Any, nodes: dict[str, Any], boundaries: dict[str, list[str]]) -> str:
    """The name a step shows: the element's name, else what it is (an unnamed end event is
    'End', a timer on a task is "Timer on 'Assess the damage'", a task 'Unnamed user task')."""
    element = node.element
    named = " ".join((element.get("name") or "").split())  # line breaks are for the diagram
    if named:
        return named
    definition = next((_DEFINITIONS[_local(c.tag)] for c in element if _local(c.tag) in _DEFINITIONS), None)
    if node.kind == "boundaryEvent":
        host = next((h for h, events in boundaries.items() if element.get("id") in events), None)
        host_name = " ".join((nodes[host].element.get("name") or "").split()) if host in nodes else ""
        what = definition or "Event"
        return (
            f"{what} on '{host_name}'"
            if host_name
            else f"{what} on {_words(nodes[host].kind) if host in nodes else 'a task'}"
        )
    if node.kind in _KINDS:
        base = _KINDS[node.kind]
        return f"{base} ({definition.lower()})" if definition else base
    return f"Unnamed {_words(node.kind)}"


def thrown(element: Any) -> set[str]:
    """The error, cancel and escalation definitions of an event: what an end throws and a boundary catches."""
    return {_local(c.tag) for c in element} & {
        "errorEventDefinition",
        "cancelEventDefinition",
        "escalationEventDefinition",
    }
