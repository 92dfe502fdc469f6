"""Configuration files: finding the closest one, and reading TOML or YAML with positions in its errors."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from cxaudit.errors import ConfigError

__all__ = ["CONFIG_NAMES", "find_config", "read_toml", "read_yaml_config"]

CONFIG_NAMES = (".cxaudit.yaml", ".cxaudit.yml", "pyproject.toml")


def read_toml(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The ``[tool.cxaudit]`` table of a TOML file (None when it has none), and the file's text."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        data = path.read_bytes()
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise ConfigError.single(
            f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8, as TOML requires",
            str(path),
            line,
            column,
        ) from None
    except OSError as exc:
        raise ConfigError.single(f"cannot read the configuration: {exc.strerror or exc}", str(path)) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError.single(f"invalid TOML: {message}", str(path), line, column) from None
    except RecursionError:
        raise ConfigError.single("invalid TOML: arrays or tables nested too deeply", str(path)) from None
    except ValueError:  # Python refuses to read an integer of thousands of digits
        raise ConfigError.single("invalid TOML: a number of thousands of digits", str(path)) from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError.single("'tool' must be a table ([tool.cxaudit] holds cxaudit's settings)", str(path))
    return tool.get("cxaudit"), text


def read_yaml_config(path: Path) -> tuple[dict[str, Any], str]:
    """The settings of a ``.cxaudit.yaml`` (a mapping, with positions), and the file's text."""
    from cxaudit.errors import JourneyError
    from cxaudit.journey.load import decode, read_source
    from cxaudit.journey.read import read_yaml
    from cxaudit.journey.source import DEFAULT_LIMITS
    from cxaudit.journey.tree import YMap

    try:
        text = decode(read_source(path, DEFAULT_LIMITS, str(path)), str(path))
        document = read_yaml(text, str(path), DEFAULT_LIMITS)
    except JourneyError as exc:
        raise ConfigError(list(exc.problems)) from None
    if document.problems:
        raise ConfigError(list(document.problems))
    if document.root is None:
        return {}, text
    if not isinstance(document.root, YMap):
        raise ConfigError.single("a configuration file must be a mapping of keys to settings", str(path), 1, 1)
    return document.root, text


def find_config(start: str | os.PathLike[str]) -> Path | None:
    """The closest configuration file at or above ``start`` (a directory), if any.

    A ``pyproject.toml`` counts only when it has a ``[tool.cxaudit]`` table.
    """
    directory = Path(os.path.abspath(start))
    for folder in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name == "pyproject.toml" and not _has_tool_table(candidate):
                continue
            return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_bytes()  # not decoded: a file that is not UTF-8 is refused when it is read as configuration
    except OSError:
        return False
    return (
        re.search(rb"^(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?\s*\[\s*tool\s*\.\s*cxaudit\b", text, re.MULTILINE) is not None
    )
