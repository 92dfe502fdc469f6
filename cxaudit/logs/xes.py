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
                parent = open_elements[-1].tag.rsplit("}", 1)[-1] if open_elements else None
                # An event's or a trace's own attributes; those nested in a list or another attribute are not.
                if tag in ("string", "date", "int", "float", "boolean", "id") and element.get("key"):
                    key, value = element.get("key"), element.get("value", "")
                    if event is not None and parent == "event":
                        event.setdefault(key, value)
                    elif parent == "trace" and key == "concept:name" and case is None:
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


# The fast path: DuckDB reads the file's lines (in parallel, out of core) and
# keeps the elements that matter: trace and event boundaries and the
# attributes cxaudit reads, each matched whole by one pattern. Running counts
# over them in file order tell each attribute's trace and event. It reads the
# XES that exporters write, an element a line or several; anything else
# (comments, DTDs, CDATA, character references, nested attributes and lists,
# an element cut across lines, other quoting or spacing, a line over the
# limit, elements with a namespace prefix) is left to the streaming parser
# above, which reads all of XES.


FAST_BYTES = 512 * 1024 * 1024
"""Largest XES file read by DuckDB (an eighth of it when gzipped), which holds
its lines in memory (about three times the file); a larger one is streamed."""


def _unescaped(column: str) -> str:
    """SQL for an attribute value with XML's five named entities read."""
    text = column
    for entity, character in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "''"), ("&amp;", "&")):
        text = f"replace({text}, '{entity}', '{character}')"
    return text


def _places(kinds: Any) -> dict[str, Any]:
    """Each token's trace and event, and how many events are open there, from the kinds in file order.

    The running counts are NumPy's: a window over the tokens in SQL sorts
    them again, though they are in order already.
    """
    import numpy as np

    return {
        "trace_no": np.cumsum(kinds == 1, dtype=np.int64),
        "event_no": np.cumsum(kinds == 2, dtype=np.int64),
        "open_events": np.cumsum((kinds == 2).astype(np.int64) - (kinds == 3)),
        "position": np.arange(len(kinds)),
    }


def load_fast(connection: Any, path: str) -> str | None:
    """Read the XES file at ``path`` into the table ``xes_events`` (columns :data:`XES_COLUMNS`, in file order).

    Returns the table's name, or None when the file is not in the shape this
    path reads (the caller streams it with :func:`xes_to_csv`).
    """
    import os

    import duckdb

    limit = FAST_BYTES // 8 if path.lower().endswith(".gz") else FAST_BYTES
    if os.path.getsize(path) > limit:
        return None  # streamed instead, in bounded memory
    literal = "'" + path.replace("'", "''") + "'"
    keys = ", ".join(f"'{key}'" for key in XES_COLUMNS[1:])
    wanted = " OR ".join(f"contains(line, 'key=\"{key}\"')" for key in XES_COLUMNS[1:])
    lines = f"""
        SELECT line FROM read_csv({literal}, columns = {{'line': 'VARCHAR'}}, header = false, delim = '\x1f',
                                  quote = '', escape = '', auto_detect = false, max_line_size = {XES_MAX_RUN})
        WHERE NOT contains(line, 'key="') OR {wanted}"""
    # A line with attributes but none read here is dropped as it is read (most of a log's lines). The others
    # are read as one element a line, which most exporters write; if one is not, every line is split at '<'
    # and read as an element a piece, in the order of lines and places.
    one_a_line = f"SELECT line AS text FROM ({lines})"
    split = """
        SELECT CASE WHEN k = 1 THEN part ELSE '<' || part END AS text FROM (
            SELECT rowid, unnest(parts) AS part, generate_subscripts(parts, 1) AS k
            FROM (SELECT rowid, string_split(line, '<') AS parts FROM xes_lines)
        ) ORDER BY rowid, k"""
    element = """'^\\s*<(/?[\\w:.-]+)(?: key="([^"]*)" value="([^"]*)")?[^<>]*>\\s*$'"""
    attribute_tags = "'string', 'date', 'int', 'float', 'boolean', 'id'"
    # the closing tags of attributes (which then hold others), lists and containers
    nested_tags = "'/string', '/date', '/int', '/float', '/boolean', '/id', 'list', '/list', 'container', '/container'"
    tokens = f"""
        CREATE OR REPLACE TEMP TABLE xes_tokens AS
        WITH matched AS (SELECT text, regexp_extract(text, {element}, ['tag', 'key', 'value']) AS m FROM (%s)),
        kinds AS (
            SELECT text, m.tag AS tag, m.key AS key, m.value AS value,
                   CASE m.tag WHEN 'trace' THEN 1 WHEN 'event' THEN 2 WHEN '/event' THEN 3
                              WHEN '' THEN 0 ELSE 4 END::TINYINT AS kind
            FROM matched
        )
        SELECT kind, key, value,
               CASE WHEN kind = 0 THEN trim(text) <> '' AND NOT starts_with(ltrim(text), '<?xml ')
                    ELSE tag IN ({nested_tags}) OR (tag IN ({attribute_tags}) AND (key = '' OR contains(value, '&#')))
                         OR (kind = 4 AND NOT tag IN ({attribute_tags}) AND contains(text, 'key="'))
               END AS odd
        FROM kinds WHERE kind BETWEEN 1 AND 3 OR key IN ({keys}) OR kind = 0 OR tag IN ({nested_tags})
                         OR contains(text, 'key="')"""
    try:
        connection.execute(tokens % one_a_line)
        if connection.execute("SELECT count(*) FROM xes_tokens WHERE kind = 0 AND odd").fetchone()[0]:
            connection.execute(f"CREATE OR REPLACE TEMP TABLE xes_lines AS {lines}")
            connection.execute(tokens % split)
            connection.execute("DROP TABLE xes_lines")
        if connection.execute("SELECT count(*) FROM xes_tokens WHERE odd").fetchone()[0]:
            return None  # a comment, a DTD or CDATA, or elements in a form not read here
        kinds = connection.execute("SELECT kind FROM xes_tokens").fetchnumpy()["kind"]
        connection.register("xes_places", _places(kinds))
        pivot = ",\n".join(
            f'{_unescaped(f"first(value) FILTER (WHERE key = {chr(39)}{key}{chr(39)})")} AS "{key}"'
            for key in XES_COLUMNS[1:]
        )
        connection.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE xes_events AS
            WITH attributes AS (SELECT * FROM xes_tokens POSITIONAL JOIN xes_places WHERE kind = 4 AND trace_no > 0),
            cases AS (
                SELECT trace_no, {_unescaped("arg_min(value, position)")} AS case_id FROM attributes
                WHERE open_events = 0 AND key = 'concept:name' GROUP BY trace_no
            )
            SELECT cases.case_id AS "{XES_COLUMNS[0]}", {pivot}
            FROM attributes LEFT JOIN cases USING (trace_no)
            WHERE open_events > 0
            GROUP BY attributes.trace_no, event_no, cases.case_id
            ORDER BY event_no"""
        )
        connection.execute("DROP TABLE xes_tokens")
        connection.unregister("xes_places")
    except duckdb.Error:
        return None  # a line over the limit, or a file DuckDB cannot read as lines: the streaming parser says why
    events, unnamed = connection.execute(
        f'SELECT count(*), count(*) FILTER (WHERE "{XES_COLUMNS[1]}" IS NULL) FROM xes_events'
    ).fetchone()
    if not events or unnamed:
        return None  # attributes in a form not read here, or no events at all
    return "xes_events"
