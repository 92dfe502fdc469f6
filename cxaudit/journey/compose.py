"""PyYAML's loaders as cxaudit composes with them: plain scalars marked as implicit, aliases bounded.

Imported only when a document is read, since it imports PyYAML.
"""

from __future__ import annotations

import functools
import operator
import re
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, MappingStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.resolver import Resolver

from cxaudit.journey.source import Limits
from cxaudit.journey.tree import IMPLICIT, IMPLICIT_EXPONENT, MAP, SEQ, STR, Alias, Fatal, too_deep

__all__ = ["BoundedLoader", "FastLoader"]

_RESOLVER = Resolver()
# First characters of the plain scalars PyYAML's resolver may read as other than text.
_RESOLVED_FIRST = frozenset(key for key in Resolver.yaml_implicit_resolvers if key)
_EXPONENT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+\Z")
_NUMBER_FIRST = frozenset("-+.0123456789")


@functools.lru_cache(maxsize=1 << 16)
def resolve(kind: Any, value: str | None, implicit: Any) -> str:
    """PyYAML's resolver, with a plain scalar's tag marked as implicit (``=int``).

    Only a plain scalar's type is guessed from its text, by PyYAML's YAML 1.1
    patterns; a quoted one is text, and an explicit tag is never resolved.
    Remembered, as a journey repeats its keys and most of its values (and a
    call from libyaml's composer that finds its answer remembered runs no
    Python code).
    """
    if kind is ScalarNode:
        if not implicit[0]:
            return STR
        if value and value[0] not in _RESOLVED_FIRST:
            return "=str"
        tag = _RESOLVER.resolve(kind, value, implicit)
        if tag == STR and value[:1] in _NUMBER_FIRST and _EXPONENT.match(value):
            return IMPLICIT_EXPONENT
        return IMPLICIT.get(tag) or "=" + tag.rsplit(":", 1)[-1]
    return MAP if kind is MappingNode else SEQ


class FastLoader(yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader):  # type: ignore[misc]
    """libyaml's composer, for documents without anchors or aliases."""

    resolve = staticmethod(resolve)
    # The composer tells the resolver each node it enters and leaves, for path
    # resolvers, which cxaudit has none of: builtins that take the same
    # arguments and do nothing spare a Python call per node.
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python composer, checking the bounds of ``limits`` while it composes.

    Aliases become :class:`~cxaudit.journey.tree.Alias` nodes that keep where
    they are written; their number and the nodes they repeat are counted
    against the limits at once (a million aliases are refused at the
    1,001st, not after composing). A collection deeper than the bound is
    refused before it is parsed, so the composer never recurses deeper than
    the bound. An anchor may be defined again (YAML 1.2); an alias refers to
    the latest.
    """

    resolve = staticmethod(resolve)

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self._limits = limits
        self._path: list[str] = []
        self._depth = 0
        self._nodes = 0  # nodes composed so far, aliases counting the nodes they repeat
        self._sizes: dict[str, int] = {}
        self._open: set[str] = set()
        self._aliases = 0
        self._repeated = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if index is not None:
            self._path.append(
                index.value if isinstance(index, ScalarNode) else "?" if isinstance(index, Node) else str(index)
            )
        try:
            if self.check_event(AliasEvent):
                return self._alias(self.get_event())
            event = self.peek_event()
            if isinstance(event, CollectionStartEvent) and self._depth >= self._limits.max_depth:
                raise too_deep(event.start_mark, self._path, self._limits.max_depth)
            anchor = event.anchor
            if anchor is not None:
                self.anchors.pop(anchor, None)
                self._open.add(anchor)
            first = self._nodes
            self._nodes += 1
            self._depth += 1
            if isinstance(event, ScalarEvent):
                node = self.compose_scalar_node(anchor)
            elif isinstance(event, MappingStartEvent):
                node = self.compose_mapping_node(anchor)
            else:
                node = self.compose_sequence_node(anchor)
            self._depth -= 1
            if anchor is not None:
                self._open.discard(anchor)
                self._sizes[anchor] = self._nodes - first
            return node
        finally:
            if index is not None:
                self._path.pop()

    def _fail(self, mark: Any, message: str) -> Fatal:
        return Fatal(mark.line + 1, mark.column + 1, message, ".".join(self._path))

    def _alias(self, event: Any) -> Alias:
        anchor, mark, limits = event.anchor, event.start_mark, self._limits
        if anchor in self._open:
            raise self._fail(mark, f"alias '*{anchor}' refers to the node that contains it")
        if anchor not in self.anchors:
            raise self._fail(mark, f"alias '*{anchor}' refers to no anchor '&{anchor}' defined before it")
        self._aliases += 1
        if self._aliases > limits.max_aliases:
            raise self._fail(mark, f"more than {limits.max_aliases:,} aliases; cxaudit reads bounded YAML only")
        size = self._sizes[anchor]
        self._repeated += size
        self._nodes += size
        if self._repeated > limits.max_alias_nodes:
            raise self._fail(
                mark,
                f"aliases expand to more than {limits.max_alias_nodes:,} nodes (an alias bomb?); "
                "cxaudit reads bounded YAML only",
            )
        return Alias(self.anchors[anchor], mark)
