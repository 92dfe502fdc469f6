"""Finding journey files on the command line's paths."""

from __future__ import annotations

import os
from pathlib import Path

from cxaudit.errors import UsageError

JOURNEY_SUFFIXES = (".yaml", ".yml", ".bpmn")
STDIN = "-"


def journey_files(paths: list[str]) -> list[str]:
    """Expand files and directories into journey files, in a stable order.

    Directories are searched recursively for ``*.yaml``, ``*.yml`` and ``*.bpmn``,
    skipping hidden directories (``.git``, ``.venv``); files named explicitly
    are kept whatever their suffix; ``-`` stands for standard input. Each
    file appears once, in the order first named.

    Raises
    ------
    UsageError
        A path does not exist, or no journey file was found.
    """
    found: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        key = name if name == STDIN else os.path.normpath(name)
        if key not in seen:
            seen.add(key)
            found.append(name)

    for raw in paths:
        if raw == STDIN:
            add(raw)
            continue
        path = Path(raw)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for filename in sorted(filenames):
                    if filename.endswith(JOURNEY_SUFFIXES) and not filename.startswith("."):
                        add(os.path.join(dirpath, filename))
        elif path.exists():
            add(raw)
        else:
            raise UsageError(f"no such file or directory: {raw}")
    if not found:
        raise UsageError("no journey files (*.yaml, *.yml, *.bpmn) found in: " + ", ".join(paths))
    return found
