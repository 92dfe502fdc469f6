"""Where a journey's text comes from: files, standard input, size limits, UTF-8."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cxaudit.errors import JourneyError, Problem

__all__ = ["DEFAULT_LIMITS", "Limits", "check_size", "decode", "read_source"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep any input from hanging cxaudit or exhausting memory.

    Every bound is checked while the file is read, so a hostile file is
    rejected as soon as it crosses one.
    """

    max_file_bytes: int = 64 * 1024 * 1024
    """Largest file read, in bytes."""
    max_depth: int = 64
    """Deepest nesting of mappings and sequences (a journey needs 4)."""
    max_aliases: int = 1_000
    """Most ``*alias`` references in one document."""
    max_alias_nodes: int = 100_000
    """Most nodes that aliases may repeat in total (stops alias bombs)."""
    max_scalar_length: int = 1_000_000
    """Longest single value, in characters."""
    max_steps: int = 1_000_000
    """Most steps in one journey."""


DEFAULT_LIMITS = Limits()


def read_source(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> bytes:
    """Read a file's bytes, refusing one larger than ``limits.max_file_bytes``."""
    name = name or os.fspath(path)
    limit = limits.max_file_bytes
    try:
        with open(path, "rb") as handle:
            # read(limit + 1) sets aside a buffer of the limit's size first, which
            # costs more than reading a small journey. A file that
            # tells its size is read by it, plus a byte to see whether it grew
            # since; a pipe tells 0.
            size = os.fstat(handle.fileno()).st_size
            if 0 < size <= limit:
                data = handle.read(size + 1)
                if len(data) > size:
                    data += handle.read(limit + 1 - len(data))
            else:
                data = handle.read(limit + 1)
    except IsADirectoryError:
        raise JourneyError([Problem(name, 0, 0, "is a directory, not a journey file")]) from None
    except FileNotFoundError:
        raise JourneyError([Problem(name, 0, 0, "no such file")]) from None
    except OSError as exc:
        raise JourneyError([Problem(name, 0, 0, f"cannot read the file: {exc.strerror or exc}")]) from None
    check_size(data, name, limits)
    return data


def check_size(data: bytes, name: str, limits: Limits) -> None:
    """Refuse input larger than the limit."""
    if len(data) > limits.max_file_bytes:
        raise JourneyError(
            [
                Problem(
                    name,
                    0,
                    0,
                    f"file is larger than the limit of {limits.max_file_bytes:,} bytes",
                )
            ]
        )


def decode(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without a BOM), naming the first bad byte's position."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise JourneyError([Problem(name, 1, 1, "file is UTF-16; save it as UTF-8")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        raise JourneyError(
            [
                Problem(
                    name,
                    line,
                    column,
                    f"byte 0x{data[start]:02x} is not valid UTF-8; save the file as UTF-8",
                )
            ]
        ) from None
