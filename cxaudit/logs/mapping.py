"""Mapping files: which activities are outcomes and contacts, and which step an activity stands for."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActivityMap:
    """What a mapping file says about a log's activities."""

    success: tuple[str, ...] = ()
    abandon: tuple[str, ...] = ()
    contact: str | None = None
    steps: dict[str, str] = field(default_factory=dict)
    """Activity -> step id, where the names differ."""
    decline: tuple[str, ...] = ()
    """Activities where the organisation decides no (declined, rejected)."""


MAP_KEYS = ("success", "abandon", "decline", "contact", "steps")


def load_activity_map(path: str) -> ActivityMap:
    """Read a mapping file (YAML)::

        success: [Order placed]
        abandon: [Basket abandoned, Session timed out]
        decline: [Payment refused]
        contact: "^(Call|Chat)"
        steps:
          "Enter card data": pay

    Raises
    ------
    ConfigError
        With the position of every problem.
    """
    import re

    from cxaudit.errors import ConfigError, JourneyError, Problem
    from cxaudit.journey.load import decode, read_source
    from cxaudit.journey.read import read_yaml
    from cxaudit.journey.source import DEFAULT_LIMITS
    from cxaudit.journey.tree import YMap, YSeq
    from cxaudit.spec import did_you_mean

    try:
        document = read_yaml(decode(read_source(path, DEFAULT_LIMITS), path), path, DEFAULT_LIMITS)
    except JourneyError as exc:
        raise ConfigError(list(exc.problems)) from None
    root = document.root
    if not isinstance(root, YMap):
        raise ConfigError.single("a mapping file is a mapping of success, abandon, contact and steps", path, 1, 1)
    problems = list(document.problems)

    def add(key: str, message: str) -> None:
        line, column = root.where_key(key)
        problems.append(Problem(path, line, column, message, key))

    for key in root:
        if key not in MAP_KEYS:
            add(key, f"unknown key '{key}' in the mapping file{did_you_mean(key, MAP_KEYS)}")

    def names(key: str) -> tuple[str, ...]:
        value = root.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, YSeq) and all(isinstance(v, str) for v in value):
            return tuple(value)
        add(key, f"'{key}' must be an activity name or a list of them")
        return ()

    contact = root.get("contact")
    if contact is not None:
        try:
            re.compile(str(contact))
        except re.error as exc:
            add("contact", f"'contact' is not a regular expression: {exc}")
            contact = None
    steps = root.get("steps")
    if steps is None:
        steps = {}
    elif not isinstance(steps, YMap) or not all(isinstance(v, str) for v in steps.values()):
        add("steps", "'steps' must map activity names to step ids")
        steps = {}
    if problems:
        raise ConfigError(problems)
    return ActivityMap(
        names("success"), names("abandon"), None if contact is None else str(contact), dict(steps), names("decline")
    )
