"""Baselines: adopt cxaudit on an existing portfolio, fail only on what is new.

A baseline is sorted JSON listing the fingerprints of known findings. A
fingerprint is the journey id, the rule code and the step (or transition):
never line numbers or numbers that move, so reformatting a file or an
unrelated edit does not change it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cxaudit import __version__
from cxaudit.errors import UsageError

if TYPE_CHECKING:
    from cxaudit.model import Finding

FORMAT = 1


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline text for these findings: sorted, one entry per line, stable."""
    entries = sorted({(f.journey, f.code, f.step or "", f.target or "", f.fingerprint, f.name) for f in findings})
    rows = [
        json.dumps(
            {
                "fingerprint": fp,
                "journey": journey,
                "code": code,
                "name": name,
                "step": step or None,
                "target": target or None,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        for journey, code, step, target, fp, name in entries
    ]
    body = ",\n    ".join(rows)
    return (
        "{\n"
        f'  "cxaudit_baseline": {FORMAT},\n'
        f'  "created_by": "cxaudit {__version__}",\n'
        f'  "findings": [{chr(10) + "    " + body + chr(10) + "  " if rows else ""}]\n'
        "}\n"
    )


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints in a baseline file.

    Raises
    ------
    UsageError
        The file is missing or is not a cxaudit baseline.
    """
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except FileNotFoundError:
        raise UsageError(f"baseline file not found: {path} (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read baseline {path}: {exc}") from None
    except (ValueError, RecursionError):  # a number of thousands of digits, or nesting past Python's stack
        raise UsageError(f"{path} is not a cxaudit baseline: it is not the JSON cxaudit writes") from None
    if (
        not isinstance(data, dict)
        or data.get("cxaudit_baseline") != FORMAT
        or not isinstance(data.get("findings"), list)
    ):
        raise UsageError(f"{path} is not a cxaudit baseline (expected 'cxaudit_baseline': {FORMAT})")
    fingerprints = set()
    for entry in data["findings"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise UsageError(f"{path}: every finding in a baseline needs a 'fingerprint'")
        fingerprints.add(entry["fingerprint"])
    return frozenset(fingerprints)
