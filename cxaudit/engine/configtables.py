"""The configuration's tables of settings other than rules: [engine], [portfolio] and [limits]."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from cxaudit.engine.portfolio import Exchange
from cxaudit.journey.source import DEFAULT_LIMITS, Limits

LIMIT_KEYS = {
    "max-file-size": "max_file_bytes",
    "max-depth": "max_depth",
    "max-aliases": "max_aliases",
    "max-alias-nodes": "max_alias_nodes",
    "max-value-length": "max_scalar_length",
    "max-steps": "max_steps",
}
ENGINE_KEYS = ("default", "master", "app-name", "config")
"""Keys of ``[tool.cxaudit.engine]``: the engine of the log commands and a Spark session's settings."""


class Reader(Protocol):
    """Where a table's problems go, and how its name is written."""

    def add(self, key: str, message: str, path: str = "") -> None: ...

    def table(self, *parts: str) -> str: ...


def kebab(name: str) -> str:
    """Config keys are kebab-case; snake_case is accepted too."""
    return name.replace("_", "-")


def engine_table(reader: Reader, raw: Any) -> dict[str, Any]:
    """``[engine]``: the log commands' engine and a Spark session's settings."""
    from cxaudit.logs.engines import ENGINES
    from cxaudit.spec import did_you_mean

    if not isinstance(raw, Mapping):
        reader.add("engine", f"'engine' in {reader.table()} must be a table of settings")
        return {}
    found: dict[str, Any] = {}
    for key, value in raw.items():
        name = kebab(key)
        if name not in ENGINE_KEYS:
            reader.add(key, f"unknown key '{key}' in {reader.table('engine')}{did_you_mean(name, ENGINE_KEYS)}")
        elif name == "default" and value not in ENGINES:
            reader.add(key, f"'default' in {reader.table('engine')} must be one of {', '.join(ENGINES)}, not {value!r}")
        elif name == "config" and not (
            isinstance(value, Mapping) and all(isinstance(v, str | int | float | bool) for v in value.values())
        ):
            reader.add(key, f"'config' in {reader.table('engine')} must be a table of Spark option to value")
        elif name != "config" and not isinstance(value, str):
            reader.add(key, f"'{key}' in {reader.table('engine')} must be text, not {value!r}")
        else:
            found[name.replace("-", "_")] = value
    return found


def exchange_table(reader: Reader, raw: Any) -> Exchange:
    """``[portfolio]``: the portfolio's currency and the rates into it."""
    from cxaudit.spec import did_you_mean

    if not isinstance(raw, Mapping):
        reader.add("portfolio", f"'portfolio' in {reader.table()} must be a table of settings")
        return Exchange()
    table = reader.table("portfolio")
    currency, rates = None, {}
    for key, value in raw.items():
        if key == "currency":
            if isinstance(value, str) and value.strip():
                currency = value.strip()
            else:
                reader.add(key, f"'currency' in {table} must be a currency's code (EUR, GBP...), not {value!r}")
        elif key == "rates":
            if not isinstance(value, Mapping):
                reader.add(key, f"'rates' in {table} must be a table of currency to rate, e.g. {{ GBP = 1.15 }}")
                continue
            for code, rate in value.items():
                if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
                    reader.add(code, f"the rate of {code} in {table} must be a number above 0, not {rate!r}")
                else:
                    rates[str(code)] = float(rate)
        else:
            reader.add(key, f"unknown key '{key}' in {table}{did_you_mean(key, ('currency', 'rates'))}")
    if rates and currency is None:
        reader.add("rates", f"'rates' in {table} need the 'currency' they convert into")
    return Exchange(currency, rates)


def limits_table(reader: Reader, raw: Any) -> Limits:
    """``[limits]``: bounds on what a journey file may be."""
    from cxaudit.spec import did_you_mean

    if not isinstance(raw, Mapping):
        reader.add("limits", f"'limits' in {reader.table()} must be a table of limit to number")
        return DEFAULT_LIMITS
    values: dict[str, int] = {}
    for key, value in raw.items():
        field_name = LIMIT_KEYS.get(kebab(key))
        if field_name is None:
            reader.add(key, f"unknown limit '{key}' in {reader.table('limits')}{did_you_mean(kebab(key), LIMIT_KEYS)}")
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            reader.add(key, f"limit '{key}' must be a whole number of at least 1, not {value!r}")
            continue
        values[field_name] = value
    return replace(DEFAULT_LIMITS, **values) if values else DEFAULT_LIMITS
