"""Simulation annotations in BPMN models: how often each branch is taken and how long tasks take.

BIMP-style models (namespace ``http://www.qbp-simulator.com/Schema201212``,
also written by Apromore and read by Prosimos's converters) carry a
``processSimulationInfo`` element: ``sequenceFlow`` elements with an
``executionProbability``, and ``element`` elements with a
``durationDistribution`` in seconds. cxaudit takes the branch probabilities
and the mean of each distribution; the resources' costs per hour are not
read (a journey's costs are per contact, by channel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Simulation:
    """What a model's simulation annotations say."""

    flows: dict[str, float] = field(default_factory=dict)
    """Sequence flow id -> the probability that it is taken."""
    durations: dict[str, float] = field(default_factory=dict)
    """Flow node id -> its mean duration, in seconds."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def mean_of(distribution: Any) -> float | None:
    """The mean of a BIMP duration distribution (seconds), or None when it cannot be told.

    >>> from xml.etree.ElementTree import fromstring
    >>> mean_of(fromstring('<d type="UNIFORM" mean="0" arg1="60" arg2="180"/>'))
    120.0
    """
    kind = (distribution.get("type") or "").upper()
    mean, first, second = (_number(distribution.get(key)) for key in ("mean", "arg1", "arg2"))
    if kind == "UNIFORM" and first is not None and second is not None:
        return (first + second) / 2
    if kind == "TRIANGULAR" and None not in (mean, first, second):
        return (mean + first + second) / 3  # type: ignore[operator]
    if kind == "EXPONENTIAL":
        return mean if mean else first
    return mean  # FIXED, NORMAL, LOGNORMAL, GAMMA: the mean as given


def simulation(root: Any) -> Simulation:
    """The simulation annotations anywhere in a model (empty when it has none)."""
    flows: dict[str, float] = {}
    durations: dict[str, float] = {}
    for info in root.iter():
        if _local(info.tag) != "processSimulationInfo":
            continue
        for element in info.iter():
            tag = _local(element.tag)
            target = element.get("elementId")
            if not target:
                continue
            if tag == "sequenceFlow":
                probability = _number(element.get("executionProbability"))
                if probability is not None and probability <= 1:
                    flows[target] = probability
            elif tag == "element":
                for child in element:
                    if _local(child.tag) == "durationDistribution":
                        mean = mean_of(child)
                        if mean is not None:
                            durations[target] = mean
    return Simulation(flows, durations)
