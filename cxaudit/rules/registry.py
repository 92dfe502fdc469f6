"""Where rules come from: the built-ins, and third-party rules registered under the entry-point group
``cxaudit.rules`` (the built-ins are registered there too, as a plugin's would be).

Reading the installed packages' entry points means importing
``importlib.metadata`` and scanning every distribution, which costs more than
a small ``check`` does. What the scan found is kept in a cache file beside
the user's other caches (one for each ``sys.path``), with the state of the directories it scanned (the
modification time of every ``sys.path`` entry: installing or removing a
package changes its directory's); the next run reads the file instead of
scanning, and scans again when anything changed. A cache that cannot be read
or written is ignored.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

from cxaudit.errors import UsageError

__all__ = ["GROUP", "PluginError", "plugin_rules"]

GROUP = "cxaudit.rules"
BUILT_IN = "cxaudit.rules."
_CODE = re.compile(r"^[A-Z]{2}[0-9]{2}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
CACHE_VERSION = 1


class PluginError(UsageError):
    """A rule registered under ``cxaudit.rules`` that cannot be used: the CLI exits 2 naming it."""


def _cache_file() -> str:
    """One file for each ``sys.path``: environments that see different packages keep their own."""
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = hashlib.sha256("\0".join(sys.path).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return os.path.join(base, "cxaudit", f"entry-points-{key}.json")


def _state() -> list[list[Any]]:
    """Each ``sys.path`` entry and its modification time (None where it does not exist)."""
    out: list[list[Any]] = []
    for entry in sys.path:
        try:
            out.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            out.append([entry, None])
    return out


def entry_points() -> list[tuple[str, str, str]]:
    """(name, ``module:attribute``, distribution) of every third-party entry point of the group, sorted."""
    path = _cache_file()
    state = _state()
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
        if cached.get("version") == CACHE_VERSION and cached.get("state") == state:
            return [tuple(item) for item in cached["entry_points"]]  # type: ignore[misc]
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    from importlib.metadata import entry_points as scan

    found = sorted(
        {
            (point.name, point.value, point.dist.name if point.dist is not None else "?")
            for point in scan(group=GROUP)
            if not point.value.startswith(BUILT_IN)
        }
    )
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump({"version": CACHE_VERSION, "state": state, "entry_points": found}, handle)
        os.replace(partial, path)  # whole or not at all, whoever reads it meanwhile
    except OSError:
        pass
    return found


def plugin_rules(built_in: dict[str, type]) -> dict[str, type]:
    """The third-party rules, by code, in the order of their codes; none when the environment variable
    ``CXAUDIT_NO_PLUGINS`` is set (to tell a plugin's problem from cxaudit's).

    Raises
    ------
    PluginError
        A plugin cannot be imported, is not a rule, or lacks what a rule needs, or its code is taken.
    """
    import importlib

    from cxaudit.rules.base import Rule

    rules: dict[str, type] = {}
    if os.environ.get("CXAUDIT_NO_PLUGINS"):
        return rules
    for name, value, distribution in entry_points():
        where = f"the plugin rule '{name}' of {distribution} ({value})"
        module, _, attribute = value.partition(":")
        try:
            found: Any = importlib.import_module(module)
            for part in filter(None, attribute.split(".")):
                found = getattr(found, part)
        except Exception as exc:  # noqa: BLE001  # a plugin's import may raise anything: say which plugin
            raise PluginError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from None
        if not (isinstance(found, type) and issubclass(found, Rule)):
            raise PluginError(f"{where} is not a rule: subclass cxaudit.plugins.Rule")
        problem = _problem(found, built_in, rules)
        if problem:
            raise PluginError(f"{where} {problem}")
        rules[found.code] = found
    return dict(sorted(rules.items()))


def _problem(rule: type, built_in: dict[str, type], plugins: dict[str, type]) -> str | None:
    """What a plugin rule lacks, or None."""
    from cxaudit.model import Severity

    code = getattr(rule, "code", None)
    if not isinstance(code, str) or not _CODE.match(code):
        return "needs a code of two capital letters and two digits, such as AC01"
    if code in built_in:
        return f"has the code {code}, which is cxaudit's own"
    if code in plugins:
        return f"has the code {code}, which another plugin rule has"
    name = getattr(rule, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        return "needs a name: lowercase words joined by '-', such as long-form"
    if not isinstance(getattr(rule, "severity", None), Severity):
        return "needs a severity: Severity.ERROR, WARNING or INFO"
    if not rule.__doc__ and not isinstance(getattr(rule, "summary", None), str):
        return "needs a docstring or a summary: what it finds, in one line"
    from cxaudit.rules.base import Rule

    if rule.check is Rule.check:
        return "needs a check(self, context) method"
    return None
