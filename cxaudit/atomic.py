"""Writing reports and baselines so that nothing is ever half-written or lost."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable

from cxaudit.errors import UsageError


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_atomic(path: str, text: str, *, inputs: Iterable[str] = ()) -> None:
    """Write ``text`` to ``path`` all at once, or not at all.

    The text goes to a temporary file in the same directory, is flushed to
    disk, and replaces the target in one rename: a reader sees the old file
    or the new one, never a truncated one, and an error leaves the target as
    it was. A target that is a symbolic link is written through (the link
    stays). An existing target keeps its permissions. A target that is one
    of ``inputs`` (the files being checked), directly or through a link, is
    refused. A target that is not a regular file (``/dev/stdout``, a
    terminal, ``/dev/null``, a named pipe, a shell's ``>(command)``) is
    written to as a stream, never replaced.

    Raises
    ------
    UsageError
        The target is an input file, or cannot be written.
    """
    try:
        existing = os.stat(path)
    except OSError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode) and not stat.S_ISDIR(existing.st_mode):
        _stream(path, text)
        return
    target = os.path.realpath(path)
    for name in inputs:
        if name != "-" and (_same_file(target, name) or os.path.realpath(name) == target):
            raise UsageError(f"refusing to write {path}: it is an input file")
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def _stream(path: str, text: str) -> None:
    """Write ``text`` to a character device or a pipe, which cannot be replaced."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
