"""XES event logs (``.xes``, ``.xes.gz``), streamed into a flat file the engine reads."""

from __future__ import annotations

from typing import Any

from cxaudit.errors import UsageError

XES_COLUMNS = ("case:concept:name", "concept:name", "time:timestamp", "org:resource", "lifecycle:transition")
"""The columns of the flat file: the case, then the event attributes cxaudit reads."""

XES_MAX_RUN = 1_000_000
"""Longest stretch of an XES file between two ``<`` or ``>``, in bytes: one
attribute value or one text. The XML parser holds such a stretch whole, and
a compressed file can expand one to gigabytes."""


class _RunGuard:
    """A binary stream that refuses, while it is read, a stretch without markup longer than ``limit``.

    Stretches inside one chunk are shorter than the chunk; those that span
    chunks are measured exactly from the last delimiter of one chunk to the
    first of the next.
    """

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.run = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(min(size, 1 << 16) if size > 0 else 1 << 16)
        first = min((i for i in (chunk.find(b"<"), chunk.find(b">")) if i >= 0), default=-1)
        if first < 0:
            self.run += len(chunk)
        else:
            self.run += first
            if self.run <= self.limit:
                self.run = len(chunk) - 1 - max(chunk.rfind(b"<"), chunk.rfind(b">"))
        if self.run > self.limit:
            raise _TooLong
        return chunk


class _TooLong(Exception):
    pass


def xes_to_csv(path: str, target: str) -> None:
    """Stream an XES file into a CSV of (case, activity, timestamp, resource), safely.

    defusedxml refuses DTDs, entities and external references, so an XML bomb
    or an external-entity file stops with an error instead of expanding. No
    value or text may be longer than :data:`XES_MAX_RUN` bytes, and every
    element is dropped once read, so memory stays bounded whatever the file
    expands to.
    """
    import csv
    import gzip

    try:
        from defusedxml.common import DefusedXmlException
        from defusedxml.ElementTree import iterparse
    except ImportError:
        raise UsageError("reading XES needs defusedxml, which is not installed: pip install 'cxaudit[logs]'") from None
    from xml.etree.ElementTree import ParseError

    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as raw, open(target, "w", newline="", encoding="utf-8") as sink:
            source = _RunGuard(raw, XES_MAX_RUN)
            writer = csv.writer(sink)
            writer.writerow(XES_COLUMNS)
            case = None
            event: dict[str, str] | None = None
            open_elements: list[Any] = []  # the element being read and its ancestors
            for action, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
                tag = element.tag.rsplit("}", 1)[-1]
                if action == "start":
                    open_elements.append(element)
                    if tag == "trace":
                        case = None
                    elif tag == "event":
                        event = {}
                    continue
                open_elements.pop()
                if tag in ("string", "date", "int", "float", "id") and element.get("key"):
                    key, value = element.get("key"), element.get("value", "")
                    if event is not None:
                        event[key] = value
                    elif key == "concept:name":
                        case = value
                elif tag == "event" and event is not None:
                    writer.writerow([case or "", *(event.get(key, "") for key in XES_COLUMNS[1:])])
                    event = None
                if open_elements:  # what was read is dropped from its parent
                    open_elements[-1].clear()
    except DefusedXmlException as exc:
        raise UsageError(
            f"{path}: refused to read XES with {type(exc).__name__} ({exc}); no DTDs or entities"
        ) from None
    except _TooLong:
        raise UsageError(
            f"{path}: refused to read XES with a value or text of more than {XES_MAX_RUN:,} bytes "
            "(a decompression bomb?); an event log's values are short"
        ) from None
    except (ParseError, OSError, EOFError) as exc:
        raise UsageError(f"{path}: not a readable XES file: {exc}") from None
