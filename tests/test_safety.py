"""Hostile YAML: nothing runs, nothing hangs, memory stays bounded."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import pytest

from cxaudit import JourneyError, Limits, loads_journey
from cxaudit.journey.read import read_yaml
from cxaudit.journey.source import DEFAULT_LIMITS
from tests.test_loader import PARSERS

HEADER = (
    "cxaudit: 1\njourney: {id: j, name: J}\nentry: s\n"
    "steps:\n  s: {name: S, next: {o: 1}}\n  o: {name: O, type: success}\n"
)


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        refs = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "cxaudit: 1\nbomb:\n" + "\n".join("  " + line for line in lines) + "\n"


def deep_nesting(depth: int = 10_000) -> str:
    return HEADER + "  x: {name: X, notes: " + "[" * depth + "]" * depth + "}\n"


def message_of(text: str, pure: bool, limits: Limits = DEFAULT_LIMITS) -> str:
    with pytest.raises(JourneyError) as caught:
        loads_journey(text, name="hostile.yaml", pure_yaml=pure, limits=limits)
    return str(caught.value.problems[0])


@pytest.mark.parametrize("pure", PARSERS)
def test_alias_bomb_is_refused_quickly_in_bounded_memory(pure):
    text = alias_bomb()
    tracemalloc.start()
    try:
        message = message_of(text, pure)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    assert message == (
        "hostile.yaml:7:40: aliases expand to more than 100,000 nodes (an alias bomb?); "
        "cxaudit reads bounded YAML only (bomb.a4.7)"
    )


@pytest.mark.parametrize("pure", PARSERS)
def test_alias_count_is_bounded(pure):
    text = "cxaudit: 1\nx: &x 1\nys: [" + ", ".join(["*x"] * 20) + "]\n"
    assert message_of(text, pure, Limits(max_aliases=10)) == (
        "hostile.yaml:3:46: more than 10 aliases; cxaudit reads bounded YAML only (ys.10)"
    )


@pytest.mark.parametrize("pure", PARSERS)
def test_deep_nesting_is_refused(pure):
    message = message_of(deep_nesting(), pure)
    assert message == (
        "hostile.yaml:7:84: nesting is deeper than 64 levels; a journey needs only a few (steps.x.notes.0...)"
    )


@pytest.mark.parametrize("pure", PARSERS)
def test_nesting_bound_is_ours_whatever_libyaml_allows(pure):
    # libyaml 0.2.5 stops at 1,000 levels on its own; a bound set above that is still ours to apply.
    text = "cxaudit: 1\ndeep: " + "[" * 1_200 + "]" * 1_200 + "\n"
    document = read_yaml(text, "d.yaml", Limits(max_depth=1_300), pure_yaml=pure)
    assert len(document.root["deep"]) == 1
    with pytest.raises(JourneyError) as caught:
        read_yaml(text, "d.yaml", Limits(max_depth=1_100), pure_yaml=pure)
    assert str(caught.value.problems[0]) == (
        "d.yaml:2:1106: nesting is deeper than 1,100 levels; a journey needs only a few (deep.0.0.0...)"
    )


@pytest.mark.parametrize("pure", PARSERS)
def test_python_tag_never_runs(pure, tmp_path):
    marker = tmp_path / "pwned"
    text = HEADER.replace("name: J", f"name: !!python/object/apply:os.system ['touch {marker}']")
    message = message_of(text, pure)
    assert not marker.exists()
    assert message == (
        "hostile.yaml:2:24: tag '!!python/object/apply:os.system' is not allowed: cxaudit reads plain YAML only "
        "(no Python or custom tags); remove the tag (journey.name)"
    )


@pytest.mark.parametrize("pure", PARSERS)
def test_long_scalar_is_bounded(pure):
    text = HEADER.replace("name: J", "name: " + "x" * 2000)
    assert message_of(text, pure, Limits(max_scalar_length=1000)) == (
        "hostile.yaml:2:24: value is 2,000 characters long, over the limit of 1,000 (journey.name)"
    )


def test_file_size_is_bounded(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(HEADER + "#" * 5000)
    from cxaudit import load_journey

    with pytest.raises(JourneyError) as caught:
        load_journey(path, name="big.yaml", limits=Limits(max_file_bytes=1000))
    assert str(caught.value.problems[0]) == ("big.yaml: file is larger than the limit of 1,000 bytes")


class _Stat:
    def __init__(self, size: int) -> None:
        self.st_size = size


@pytest.mark.parametrize("told", [0, 10, 999])
def test_a_file_is_read_whole_whatever_size_it_tells(tmp_path, monkeypatch, told):
    """A file read by the size it tells when opened is read whole even if it has grown
    since (told 10, 999) or tells none (0, a pipe), and still refused over the limit."""
    from cxaudit.journey import source

    small = tmp_path / "small.yaml"
    small.write_bytes(b"#" * 900)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 5000)
    monkeypatch.setattr(source.os, "fstat", lambda _fd: _Stat(told))
    limits = Limits(max_file_bytes=1000)
    assert source.read_source(small, limits) == b"#" * 900
    with pytest.raises(JourneyError) as caught:
        source.read_source(big, limits, "big.yaml")
    assert str(caught.value.problems[0]) == "big.yaml: file is larger than the limit of 1,000 bytes"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_journey_is_read_from_a_named_pipe(tmp_path):
    import threading

    from cxaudit.journey.load import read_source

    pipe = tmp_path / "journey.yaml"
    os.mkfifo(pipe)
    text = HEADER.encode()
    writer = threading.Thread(target=lambda: pipe.write_bytes(text))
    writer.start()
    try:
        assert read_source(pipe) == text
    finally:
        writer.join(timeout=10)


def test_recursive_alias_is_refused():
    assert message_of("cxaudit: 1\na: &a [1, *a]\n", pure=True) == (
        "hostile.yaml:2:11: alias '*a' refers to the node that contains it (a.1)"
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bomb", alias_bomb()),
        ("deep", deep_nesting()),
        ("tag", HEADER.replace("name: J", "name: !!python/object/apply:os.system ['true']")),
    ],
)
def test_cli_refuses_hostile_files_with_exit_2(tmp_path, name, text):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "cxaudit", "validate", str(path)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith(f"{path}:")
