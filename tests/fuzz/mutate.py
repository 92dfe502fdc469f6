"""Mutations of valid journeys: what a careless edit, a bad merge or a hostile pull request makes."""

from __future__ import annotations

import random
import re

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
ID = re.compile(r"\b[a-z][a-z0-9_]*\b")


def _replace_random(rng: random.Random, pattern: re.Pattern[str], text: str, replacement: str) -> str:
    matches = list(pattern.finditer(text))
    if not matches:
        return text
    m = rng.choice(matches)
    return text[: m.start()] + replacement + text[m.end() :]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random mutation of ``data``."""
    text = data.decode("utf-8", "replace")
    lines = text.splitlines(keepends=True)
    choice = rng.randrange(16)
    if choice == 0 and lines:  # delete a line (a key, a step, a closing bracket)
        del lines[rng.randrange(len(lines))]
        return "".join(lines).encode()
    if choice == 1 and lines:  # duplicate a line (a duplicate key)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "".join(lines).encode()
    if choice == 2:  # a number becomes text, a list or a mapping
        return _replace_random(rng, NUMBER, text, rng.choice(["abc", "[1, 2]", "{a: 1}", "''", "~", "yes"])).encode()
    if choice == 3:  # huge, tiny, negative, non-finite numbers
        value = rng.choice(
            ["1e308", "1e400", "-1", "99999999999999999999999", ".nan", "-.inf", "1e-320", "0x1F", "1_000"]
        )
        return _replace_random(rng, NUMBER, text, value).encode()
    if choice == 4:  # unicode in ids
        return _replace_random(rng, ID, text, rng.choice(["ßü", "😀", "é", "\u202e", "ｆｕｌｌ", "a\u0301"])).encode()
    if choice == 5:  # control characters
        at = rng.randrange(len(data) + 1)
        return data[:at] + bytes([rng.choice([0, 1, 7, 8, 11, 12, 27, 127])]) + data[at:]
    if choice == 6:  # truncated
        return data[: rng.randrange(len(data) + 1)]
    if choice == 7:  # random bytes
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if out:
                out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if choice == 8 and lines:  # a tab in the indentation
        i = rng.randrange(len(lines))
        lines[i] = "\t" + lines[i].lstrip(" ")
        return "".join(lines).encode()
    if choice == 9:  # anchors and aliases
        return text.replace("name:", "name: &a", 1).replace("notes:", "notes: *a", 1).encode() + b"x: *a\n"
    if choice == 10:  # tags
        return _replace_random(
            rng,
            NUMBER,
            text,
            rng.choice(
                ["!!python/object/apply:os.system ['true']", "!!binary aGk=", "!custom 1", "!!str 1", "!!float x"]
            ),
        ).encode()
    if choice == 11:  # deep nesting
        depth = rng.choice([10, 100, 2000])
        return data + f"deep: {'[' * depth}{']' * depth}\n".encode()
    if choice == 12 and lines:  # re-indent a line
        i = rng.randrange(len(lines))
        lines[i] = " " * rng.randint(0, 9) + lines[i].lstrip()
        return "".join(lines).encode()
    if choice == 13:  # swap two ids
        return _replace_random(
            rng, ID, text, rng.choice(["lost", "done", "next", "steps", "cxaudit", "entry"])
        ).encode()
    if choice == 14:  # a second document, or a BOM, or UTF-16
        return rng.choice([data + b"---\na: 1\n", b"\xef\xbb\xbf" + data, text.encode("utf-16")])
    return data + rng.choice([b"\n  extra: 1\n", b"\n? [a]\n: b\n", b"\n- list\n", b"\n<<: *x\n", b"\x00"])
