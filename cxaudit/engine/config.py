"""Configuration: discovery, validation against the rule catalog, per-path overrides.

A configuration is ``[tool.cxaudit]`` in a ``pyproject.toml``, or a
``.cxaudit.yaml`` (same keys at its top level). For each journey file the
closest one up the directory tree applies (``.cxaudit.yaml`` before
``pyproject.toml`` in the same directory); ``--config FILE`` overrides
discovery. Every problem names the file, the key and, where one is close,
the valid spelling.

Keys::

    select = ["ST", "CT01", "drop-off-hotspot"]   # codes, prefixes, names or ALL
    ignore = ["OW02"]
    fail-on = "warning"                            # error (default), warning, info, never
    [severity]        FR02 = "error"
    [rules.FR02]      min-share = 0.15             # rule options (thresholds)
    [gates]           min-completion-rate = 0.85   # GT01 gates on journey metrics
    [per-path."legacy/**"]  ignore = ["OW"]        # overrides for matching files
    [portfolio]       currency = "EUR"             # the portfolio's one currency, and the rates
                      rates = { GBP = 1.15 }       # into it (1 GBP = 1.15 EUR)
    [engine]          default = "spark"            # the log commands' engine (duckdb by default)
                      master = "spark://host:7077" # a Spark session's master, app-name and
                      config = { "spark.executor.memory" = "8g" }   # options
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cxaudit.engine import AuditConfig
from cxaudit.engine.configfile import find_config, read_toml, read_yaml_config
from cxaudit.engine.configtables import engine_table, exchange_table, kebab, limits_table
from cxaudit.engine.portfolio import Exchange
from cxaudit.errors import ConfigError, Problem
from cxaudit.journey.source import DEFAULT_LIMITS, Limits
from cxaudit.model import FAIL_LEVELS, Severity

__all__ = ["FAIL_LEVELS", "Settings", "find_config", "load_config", "resolve_selectors"]

TOP_KEYS = (
    "select",
    "ignore",
    "fail-on",
    "severity",
    "rules",
    "gates",
    "per-path",
    "limits",
    "drift-log",
    "engine",
    "portfolio",
)
PATH_KEYS = ("select", "ignore", "severity", "rules", "gates")


def resolve_selectors(selectors: Iterable[str], where: str = "") -> frozenset[str]:
    """Rule codes for codes, code prefixes (``FR``), rule names, or ``ALL``.

    >>> sorted(resolve_selectors(["ST0", "dead-end", "CT01"]))[:3]
    ['CT01', 'ST01', 'ST02']

    Raises
    ------
    ValueError
        With the closest valid selector, for one that matches no rule.
    """
    from cxaudit.rules import RULES
    from cxaudit.spec import did_you_mean

    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        if selector.upper() == "ALL":
            codes |= set(RULES)
            continue
        upper = selector.upper()
        matched = (
            {code for code in RULES if code.startswith(upper)} if re.fullmatch(r"[A-Z]{1,2}\d{0,2}", upper) else set()
        )
        matched |= {code for code, rule in RULES.items() if rule.name == selector.lower()}
        if not matched:
            prefixes = {code[:2] for code in RULES}
            choices = [*RULES, *prefixes, *(rule.name for rule in RULES.values())]
            raise ValueError(f"unknown rule '{raw}'{where}{did_you_mean(selector, choices)}")
        codes |= matched
    return frozenset(codes)


@dataclass(frozen=True)
class _Part:
    """Settings that a per-path override may change."""

    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """A validated configuration, ready to give each file its audit config."""

    base: _Part = field(default_factory=_Part)
    fail_on: str | None = None
    per_path: tuple[tuple[str, re.Pattern[str], _Part], ...] = ()
    limits: Limits = DEFAULT_LIMITS
    """Bounds on what a journey file may be (size, nesting, aliases, steps)."""
    drift_log: str | None = None
    """An event log to check every journey against (the drift rules DR01-DR05)."""
    engine: Mapping[str, Any] = field(default_factory=dict)
    exchange: Exchange = field(default_factory=Exchange)
    """``[tool.cxaudit.portfolio]``: the portfolio's currency and the rates into it."""
    """``[tool.cxaudit.engine]``: ``default`` (the engine's name), ``master``, ``app_name``, ``config``."""
    root: Path | None = None
    """The directory per-path globs are relative to."""
    source: str | None = None
    """The file the settings came from, if any."""

    def for_file(self, path: str) -> AuditConfig:
        """The audit configuration for one journey file."""
        part = self.base
        if self.per_path:
            relative = _relative(path, self.root)
            for _, pattern, override in self.per_path:
                if pattern.fullmatch(relative):
                    part = _merge(part, override)
        return AuditConfig(select=part.select, ignore=part.ignore, severity=part.severity, options=part.options)

    def with_cli(self, select: list[str] | None, ignore: list[str] | None, fail_on: str | None) -> Settings:
        """These settings with command-line flags applied on top.

        ``--select`` replaces the selection, ``--ignore`` adds to the ignored
        rules, ``--fail-on`` replaces the level.
        """
        base = self.base
        try:
            if select:
                base = replace(base, select=resolve_selectors(_split(select), " in --select"))
            if ignore:
                base = replace(base, ignore=base.ignore | resolve_selectors(_split(ignore), " in --ignore"))
        except ValueError as exc:
            raise ConfigError.single(str(exc)) from None
        if fail_on is not None and fail_on not in FAIL_LEVELS:
            raise ConfigError.single(f"--fail-on must be one of {', '.join(FAIL_LEVELS)}, not '{fail_on}'")
        return replace(self, base=base, fail_on=fail_on or self.fail_on)


def _split(values: Iterable[str]) -> list[str]:
    return [item for value in values for item in value.split(",")]


def _relative(path: str, root: Path | None) -> str:
    absolute = Path(os.path.abspath(path))
    if root is not None:
        try:
            return absolute.relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()


def _shown(value: Any) -> str:
    """A configured value as it is quoted in a message, at most 40 characters.

    >>> _shown(0.5), _shown(10**50)
    ('0.5', '100000000000000000000000000000000000000...')
    """
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "..."


def _merge(base: _Part, override: _Part) -> _Part:
    options = {code: dict(values) for code, values in base.options.items()}
    for code, values in override.options.items():
        options.setdefault(code, {}).update(values)
    return _Part(
        select=override.select if override.select is not None else base.select,
        ignore=base.ignore | override.ignore,
        severity={**base.severity, **override.severity},
        options=options,
    )


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A path glob as a regular expression: ``**`` spans directories, ``*`` does not.

    >>> bool(glob_pattern("legacy/**/*.yaml").fullmatch("legacy/a/b/x.yaml"))
    True
    >>> bool(glob_pattern("*.yaml").fullmatch("legacy/x.yaml"))
    False
    """
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out))


class _Reader:
    """Validates one configuration document, collecting every problem."""

    def __init__(self, file: str, text: str, prefix: str) -> None:
        self.file = file
        self.text = text
        self.prefix = prefix  # "[tool.cxaudit]" or "" for .cxaudit.yaml
        self.problems: list[Problem] = []

    def where(self, key: str) -> tuple[int, int]:
        """Best effort: the line where a key is written."""
        quoted = rf"[\"']?{re.escape(key)}[\"']?"
        for pattern in (
            rf"(?m)^[ \t]*(?={quoted}[ \t]*[=:])",  # a key on its own line
            rf"(?<![\w.-])(?={quoted}[ \t]*[=:])",  # a key inside a flow mapping or inline table
            rf"(?<![\w-])(?={re.escape(key)}(?![\w-]))",  # a table header
        ):
            match = re.search(pattern, self.text)
            if match:
                start = match.end()
                line = self.text.count("\n", 0, start) + 1
                return (line, start - (self.text.rfind("\n", 0, start) + 1) + 1)
        return (0, 0)

    def table(self, *parts: str) -> str:
        inner = ".".join(parts)
        if self.prefix:
            return f"[{self.prefix}{'.' + inner if inner else ''}]"
        return f"'{inner}'" if inner else "the configuration"

    def add(self, key: str, message: str, path: str = "") -> None:
        line, column = self.where(key)
        self.problems.append(Problem(self.file, line, column, message, path))

    def part(self, data: Mapping[str, Any], keys: tuple[str, ...], parts: tuple[str, ...]) -> _Part:
        from cxaudit.rules import RULES, find_rule
        from cxaudit.rules.gt01_metric_gate import GATES
        from cxaudit.spec import did_you_mean

        for key in data:
            if kebab(key) not in keys:
                hint = did_you_mean(kebab(key), keys)
                self.add(key, f"unknown key '{key}' in {self.table(*parts)}{hint}")

        def selectors(name: str) -> frozenset[str] | None:
            value = data.get(name)
            if value is None:
                return None
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.add(name, f"'{name}' in {self.table(*parts)} must be a list of rule codes, prefixes or names")
                return None
            try:
                return resolve_selectors(value, f" in '{name}' of {self.table(*parts)}")
            except ValueError as exc:
                self.add(name, str(exc))
                return None

        select = selectors("select")
        ignore = selectors("ignore") or frozenset()

        severity: dict[str, Severity] = {}
        raw_severity = data.get("severity", {})
        if not isinstance(raw_severity, Mapping):
            self.add("severity", f"'severity' in {self.table(*parts)} must be a table of rule to level")
            raw_severity = {}
        for selector, level in raw_severity.items():
            try:
                codes = resolve_selectors([selector], f" in {self.table(*parts, 'severity')}")
            except ValueError as exc:
                self.add(selector, str(exc))
                continue
            try:
                parsed = Severity.parse(level) if isinstance(level, str) else Severity.parse(repr(level))
            except ValueError:
                self.add(selector, f"severity of {selector} must be error, warning or info, not {level!r}")
                continue
            for code in codes:
                severity[code] = parsed

        options: dict[str, dict[str, float]] = {}
        raw_rules = data.get("rules", {})
        if not isinstance(raw_rules, Mapping):
            self.add("rules", f"'rules' in {self.table(*parts)} must be a table of rule to options")
            raw_rules = {}
        for selector, values in raw_rules.items():
            try:
                rule = find_rule(selector)
            except KeyError:
                choices = [*RULES, *(r.name for r in RULES.values())]
                hint = did_you_mean(selector, choices)
                self.add(selector, f"unknown rule '{selector}' in {self.table(*parts, 'rules')}{hint}")
                continue
            table = self.table(*parts, "rules", selector)
            if not isinstance(values, Mapping):
                self.add(selector, f"{table} must be a table of option to value")
                continue
            if rule.code == "GT01":
                self.add(selector, f"set GT01's gates in {self.table(*parts, 'gates')}, not in {table}")
                continue
            names = {kebab(name): name for name in rule.options}
            for option_key, value in values.items():
                name = names.get(kebab(option_key))
                if name is None:
                    hint = did_you_mean(kebab(option_key), names) if names else ""
                    known = "" if names else f"; {rule.code} has no options"
                    self.add(option_key, f"unknown option '{option_key}' of {rule.code} in {table}{hint}{known}")
                    continue
                try:
                    options.setdefault(rule.code, {})[name] = rule.options[name].parse(value)
                except ValueError as exc:
                    self.add(option_key, f"{rule.code} option '{option_key}' {exc}, not {_shown(value)}")

        raw_gates = data.get("gates", {})
        if not isinstance(raw_gates, Mapping):
            self.add("gates", f"'gates' in {self.table(*parts)} must be a table of gate to value")
            raw_gates = {}
        gate_options = RULES["GT01"].options
        gate_names = {kebab(name): name for name in GATES}
        for gate_key, value in raw_gates.items():
            name = gate_names.get(kebab(gate_key))
            if name is None:
                hint = did_you_mean(kebab(gate_key), gate_names)
                self.add(gate_key, f"unknown gate '{gate_key}' in {self.table(*parts, 'gates')}{hint}")
                continue
            try:
                options.setdefault("GT01", {})[name] = gate_options[name].parse(value)
            except ValueError as exc:
                self.add(gate_key, f"gate '{gate_key}' {exc}, not {_shown(value)}")
        return _Part(select=select, ignore=ignore, severity=severity, options=options)

    def settings(self, data: Mapping[str, Any], root: Path) -> Settings:
        base = self.part(data, TOP_KEYS, ())
        fail_on = data.get("fail-on", data.get("fail_on"))
        if fail_on is not None and fail_on not in FAIL_LEVELS:
            self.add("fail-on", f"'fail-on' must be one of {', '.join(FAIL_LEVELS)}, not {fail_on!r}")
            fail_on = None
        per_path = []
        raw_paths = data.get("per-path", data.get("per_path", {}))
        if not isinstance(raw_paths, Mapping):
            self.add("per-path", f"'per-path' in {self.table()} must be a table of glob to settings")
            raw_paths = {}
        for glob, override in raw_paths.items():
            if not isinstance(override, Mapping):
                self.add(glob, f"{self.table('per-path', glob)} must be a table of settings")
                continue
            per_path.append((glob, glob_pattern(glob), self.part(override, PATH_KEYS, ("per-path", glob))))
        limits = limits_table(self, data.get("limits", {}))
        drift_log = data.get("drift-log", data.get("drift_log"))
        if drift_log is not None and not isinstance(drift_log, str):
            self.add("drift-log", f"'drift-log' must be the path of an event log, not {drift_log!r}")
            drift_log = None
        if drift_log is not None:
            drift_log = str(root / drift_log)
        engine = engine_table(self, data.get("engine", {}))
        exchange = exchange_table(self, data.get("portfolio", {}))
        return Settings(
            base=base,
            fail_on=fail_on,
            per_path=tuple(per_path),
            limits=limits,
            drift_log=drift_log,
            engine=engine,
            exchange=exchange,
            root=root,
            source=self.file,
        )


def load_config(path: str | os.PathLike[str]) -> Settings:
    """Read and validate one configuration file.

    Raises
    ------
    ConfigError
        Carrying every problem, each naming the file, the key and, where one
        is close, the valid spelling.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError.single(f"configuration file not found: {path}")
    if path.suffix == ".toml":
        data, text = read_toml(path)
        if data is None:
            return Settings(root=path.resolve().parent, source=str(path))
        reader = _Reader(str(path), text, "tool.cxaudit")
    else:
        data, text = read_yaml_config(path)
        reader = _Reader(str(path), text, "")
    if not isinstance(data, Mapping):
        raise ConfigError.single("[tool.cxaudit] must be a table", str(path))
    settings = reader.settings(data, path.resolve().parent)
    if reader.problems:
        raise ConfigError(reader.problems)
    return settings


class ConfigResolver:
    """Settings per journey file: ``--config`` for all, or discovered and cached per directory."""

    def __init__(self, explicit: str | None = None, cli: dict[str, Any] | None = None) -> None:
        self.explicit_path = explicit
        self.cli = cli or {}
        self._by_dir: dict[str, Settings] = {}
        self._by_file: dict[Path | None, Settings] = {}
        self.explicit = self._with_cli(load_config(explicit)) if explicit else None

    def _with_cli(self, settings: Settings) -> Settings:
        return settings.with_cli(self.cli.get("select"), self.cli.get("ignore"), self.cli.get("fail_on"))

    def for_path(self, path: str) -> Settings:
        if self.explicit is not None:
            return self.explicit
        directory = os.path.dirname(os.path.abspath(path)) if path != "-" else os.getcwd()
        if directory not in self._by_dir:
            found = find_config(directory)
            if found not in self._by_file:
                settings = load_config(found) if found is not None else Settings()
                self._by_file[found] = self._with_cli(settings)
            self._by_dir[directory] = self._by_file[found]
        return self._by_dir[directory]
