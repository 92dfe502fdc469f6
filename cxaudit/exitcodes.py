"""Exit codes of the ``cxaudit`` command, in one place."""

CLEAN = 0
"""Nothing at or above the fail level."""
FINDINGS = 1
"""Findings at or above the fail level."""
INPUT_ERROR = 2
"""An input file, the configuration or the command line is wrong."""
INTERNAL_ERROR = 3
"""cxaudit itself failed (a bug): run again with --debug and report it."""
