"""The parsed BPMN model: flow nodes with their kind, name and lane, and the model's flows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxaudit.errors import Problem

__all__ = ["Model", "Node", "local"]


def local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


@dataclass
class Node:
    element: Any
    kind: str
    line: int
    column: int
    container: str | None = None
    """The sub-process it is inside, if any."""


@dataclass
class Model:
    """The parsed BPMN, with the position of every element."""

    name: str
    positions: dict[int, tuple[int, int]]
    root: Any
    problems: list[Problem] = field(default_factory=list)

    def where(self, element: Any) -> tuple[int, int]:
        return self.positions.get(id(element), (1, 1))
