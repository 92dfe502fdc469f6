"""Event logs: one reader and one definition of a case, whatever the file and the engine.

``read.py`` opens a log (CSV, Parquet, XES) and finds its columns; ``engines``
aggregate it (directly-follows counts, durations, case ends) by one
definition of a case: a case is its visits in order, up to and including its
first outcome. discover, calibrate and drift all read logs through here.
"""
