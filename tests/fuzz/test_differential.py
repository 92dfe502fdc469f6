"""Differential fuzzing: the default reader (fast path, then libyaml) and ``--pure-yaml`` give one answer.

Mutated journeys are read both ways; both must accept the same document,
with the same values and positions, or refuse it with the same message at the
same place. Seeded, so every CI run reads the same sample
(CXAUDIT_FUZZ_ROUNDS sets its size, 600 by default).
"""

from __future__ import annotations

import os
import random

import pytest

from cxaudit.errors import JourneyError
from cxaudit.journey.read import has_c_parser, read_yaml
from cxaudit.journey.source import Limits
from cxaudit.journey.tree import YMap, YSeq
from tests.conftest import FIXTURES, JOURNEYS
from tests.fuzz.mutate import mutate

ROUNDS = int(os.environ.get("CXAUDIT_FUZZ_ROUNDS", "600"))
SEEDS = [p.read_text(encoding="utf-8") for p in [*JOURNEYS, FIXTURES / "spec_example.yaml"]]
# What YAML reads as structure, and what the two parsers were found to read differently.
INSERTS = [
    *"?!,:\t#&*\"'{}[]|>-%@` ~\\",
    "\ufeff",
    ": ",
    " #",
    ", ",
    "? ",
    "- ",
    "!!str ",
    "|#",
    ":,",
    "\n",
    "\n  ",
    "...",
    "---",
    "k" * 1100,
]


def shape(value: object) -> object:
    """A value with every position it carries, comparable with ==."""
    if isinstance(value, YMap):
        entries = tuple((k, value.key_pos.get(k), value.value_pos.get(k), shape(v)) for k, v in value.items())
        return ("map", value.line, value.column, entries)
    if isinstance(value, YSeq):
        return ("seq", value.line, value.column, tuple(value.item_pos), tuple(shape(v) for v in value))
    return (type(value).__name__, value)


def verdict(text: str, pure: bool) -> tuple[object, ...]:
    try:
        document = read_yaml(text, "f.yaml", Limits(), pure_yaml=pure)
    except JourneyError as error:
        return ("refused", *map(str, error.problems))
    return ("read", shape(document.root), tuple(map(str, document.problems)))


def yaml_mutation(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.8:
            text = text[:at] + rng.choice(INSERTS) + text[at:]
        else:
            text = text[:at] + text[at + rng.randint(1, 3) :]
    return text


@pytest.mark.skipif(not has_c_parser(), reason="without libyaml both modes use the pure parser")
@pytest.mark.parametrize("kind", ["yaml", "bytes"])
def test_default_and_pure_readers_give_one_answer(kind):
    rng = random.Random(f"differential-{kind}-20261202")
    for round_ in range(ROUNDS // 2):
        seed = SEEDS[round_ % len(SEEDS)]
        text = yaml_mutation(seed, rng) if kind == "yaml" else mutate(seed.encode(), rng).decode("utf-8", "replace")
        assert verdict(text, pure=False) == verdict(text, pure=True), text


BASE = "cxaudit: 1\njourney: {id: j, name: J}\nentry: s\nsteps:\n  s: {name: S, next: {o: 1}}\n  o: {name: O, type: success}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            BASE + "  " + "k" * 1100 + ": {name: K}\n",
            "f.yaml:7:1103: invalid YAML: a key must fit on one line, in at most 1,024 characters, before its ':'",
        ),
        (
            BASE.replace("name: S,", "name:\tS,"),
            "f.yaml:5:12: tab character here; YAML separates keys, values and items with spaces",
        ),
        (
            BASE + "  x:\n    name:\tX\n",
            "f.yaml:8:10: tab character here; YAML separates keys, values and items with spaces",
        ),
        (
            BASE.replace("name: S,", "name: Shop?,"),
            "f.yaml:5:17: invalid YAML: a '?' in a value inside '{...}' or '[...]' needs quotes",
        ),
        (BASE + "\ufeff  x: {name: X}\n", "f.yaml:7:1: byte-order mark U+FEFF inside the text; remove it"),
        (BASE.replace("{o: 1}", "{o: 1, call:,}"), "f.yaml:5:33: invalid YAML: found unexpected ':'"),
        (BASE.replace("{o: 1}", "{o: 1, !,}"), "f.yaml:5:31: invalid YAML: expected ' '"),
        (
            BASE.replace("steps:", "steps:          |# a comment"),
            "f.yaml:4:18: invalid YAML: expected chomping or indentation indicators",
        ),
    ],
    ids=[
        "long-key",
        "tab-separator",
        "tab-separator-block",
        "question-mark",
        "later-bom",
        "call-colon-comma",
        "tag-comma",
        "block-header-comment",
    ],
)
@pytest.mark.parametrize("pure", [False, True], ids=["default", "pure"])
def test_where_the_parsers_differ_both_modes_refuse_alike(text, expected, pure):
    assert verdict(text, pure) == ("refused", expected)


@pytest.mark.parametrize("pure", [False, True], ids=["default", "pure"])
def test_a_lone_tag_reads_alike(pure):
    document = read_yaml(BASE + "  x:\n    name: X\n    owner: !\n", "f.yaml", Limits(), pure_yaml=pure)
    assert document.root["steps"]["x"] == {"name": "X", "owner": None}
