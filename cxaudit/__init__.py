"""cxaudit: find where customer journeys hurt, what it costs, and who can fix it.

Public API::

    from cxaudit import load_journey
    journey = load_journey("journeys/checkout.yaml")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["CxauditError", "Journey", "JourneyError", "Limits", "__version__", "load_journey", "loads_journey"]

if TYPE_CHECKING:
    from cxaudit.errors import CxauditError, JourneyError
    from cxaudit.journey.load import Limits, load_journey, loads_journey
    from cxaudit.model import Journey

_LAZY = {
    "CxauditError": "cxaudit.errors",
    "JourneyError": "cxaudit.errors",
    "Limits": "cxaudit.journey.source",
    "load_journey": "cxaudit.journey.load",
    "loads_journey": "cxaudit.journey.load",
    "Journey": "cxaudit.model",
}


def __getattr__(name: str) -> Any:
    """Import the public API on first use, so ``cxaudit --help`` starts fast."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cxaudit' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
