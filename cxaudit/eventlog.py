"""Event logs, as earlier versions offered them: the names now live in :mod:`cxaudit.logs`."""

from __future__ import annotations

from cxaudit.logs.mapping import MAP_KEYS, ActivityMap, load_activity_map
from cxaudit.logs.read import DEFAULT_COLUMNS, EventLog, read_log
from cxaudit.logs.summary import Activity, CaseTimes, LogSummary
from cxaudit.logs.xes import XES_COLUMNS, XES_MAX_RUN, xes_to_csv

__all__ = [
    "DEFAULT_COLUMNS",
    "MAP_KEYS",
    "XES_COLUMNS",
    "XES_MAX_RUN",
    "Activity",
    "ActivityMap",
    "CaseTimes",
    "EventLog",
    "LogSummary",
    "load_activity_map",
    "read_log",
    "xes_to_csv",
]
