"""Ids for names: slugs, unique within a journey."""

from __future__ import annotations

import re
from collections.abc import Iterable


def slug(text: str, empty: str = "step") -> str:
    """An id (``[a-z0-9][a-z0-9_-]*``) for any name; ``empty`` when nothing of it is left.

    >>> slug("Check Identity (KYC)"), slug("  "), slug("3-D Secure"), slug("_Task_1")
    ('check_identity_kyc', 'step', '3-d_secure', 'task_1')
    """
    out = re.sub(r"[^a-z0-9_-]+", "_", text.lower()).strip("_-")
    return out or empty


def unique_slugs(names: Iterable[str], taken: Iterable[str] = (), empty: str = "step") -> dict[str, str]:
    """Each name's slug, made unique in order (``a``, ``a_2``, ``a_3``...) and unlike any of ``taken``.

    >>> unique_slugs(["Pay", "pay", "PAY!"], taken=["pay_2"])
    {'Pay': 'pay', 'pay': 'pay_3', 'PAY!': 'pay_4'}
    """
    used = set(taken)
    ids: dict[str, str] = {}
    for name in names:
        base = slug(name, empty)
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        ids[name] = candidate
    return ids
