"""The ``cxaudit`` command line (see :mod:`cxaudit.cli.app`); importing it registers every command."""

import importlib

from cxaudit.cli.app import entry, main

# Each module registers its commands on the app, in this order (the order of ``cxaudit --help``).
for _module in ("journeys", "logs", "catalog"):
    importlib.import_module(f"cxaudit.cli.{_module}")

__all__ = ["entry", "main"]
