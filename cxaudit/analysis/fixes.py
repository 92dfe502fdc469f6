"""What a fix is worth, exactly: the solved chain changed by the Woodbury identity, not solved again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cxaudit.analysis.linear import LinearSystem
from cxaudit.model import contact_cost

if TYPE_CHECKING:
    from cxaudit.analysis.markov import MarkovResult
    from cxaudit.model import Journey

__all__ = ["FIX_COLUMNS", "Chain", "evaluate_fix"]


@dataclass
class Chain:
    """What a fix needs of the solved chain: the factorisation and the backward solutions."""

    system: LinearSystem
    index: dict[str, int]
    entry: Any
    after: Any
    """Backward solutions (success, contacts, cost, steps, duration, handoffs) per transient step."""
    rhs: Any
    absorbed: dict[str, float]
    volume: float


FIX_COLUMNS = 3  # success, contacts, cost


def evaluate_fix(
    journey: Journey, result: MarkovResult, removed: dict[str, set[str]]
) -> tuple[float, float, float] | None:
    """Completion rate, contacts and contact cost per period with transitions removed.

    Each source step's remaining shares are scaled up to sum to 1. Exact, by
    the Woodbury identity on the factorisation already made: with ``A = I - Q``
    and the fix changing the rows ``S`` of ``A`` by ``W`` (``A' = A + U W``),
    ``A'^-1 b = y - Z (I + W Z)^-1 W y`` with ``y = A^-1 b`` and ``Z = A^-1 U``:
    ``|S| + 3`` solves instead of a new factorisation. None when the fix makes
    the chain singular (it would trap customers) or touches a step outside the
    transient part; the caller then solves the changed journey from scratch.
    """
    import numpy as np

    chain = result.chain
    if chain is None:
        return None
    steps = journey.steps
    index = chain.index
    sources = [s for s in removed if s in index]
    if len(sources) != len(removed) or not sources:
        return None

    def cost_of(sid: str) -> float:
        return contact_cost(journey, steps[sid])

    n = chain.system.n
    k = len(sources)
    b = chain.rhs[:, :FIX_COLUMNS].copy()
    w_rows: list[dict[int, float]] = []
    for source in sources:
        i = index[source]
        transitions = [(t.target, t.probability) for t in steps[source].next if t.probability > 0]
        gone = removed[source]
        remaining = sum(p for t, p in transitions if t not in gone)
        if remaining <= 1e-12:
            return None
        row: dict[int, float] = {}
        b[i, 0] = 0.0
        b[i, 1] = 1.0 if steps[source].is_contact else 0.0
        b[i, 2] = cost_of(source)
        for target, p in transitions:
            new = 0.0 if target in gone else p / remaining
            j = index.get(target)
            if j is not None:
                change = -(new - p)
                if change:
                    row[j] = row.get(j, 0.0) + change
            else:
                step = steps[target]
                b[i, 0] += new if step.type == "success" else 0.0
                b[i, 1] += new if step.is_contact else 0.0
                b[i, 2] += new * cost_of(target)
        w_rows.append(row)
    y = chain.system.solve(b)
    selector = np.zeros((n, k))
    for column, source in enumerate(sources):
        selector[index[source], column] = 1.0
    z = chain.system.solve(selector)
    wz = np.array([[sum(v * z[j, c] for j, v in row.items()) for c in range(k)] for row in w_rows])
    wy = np.array([[sum(v * y[j, c] for j, v in row.items()) for c in range(FIX_COLUMNS)] for row in w_rows])
    capacitance = np.eye(k) + wz
    if not np.isfinite(capacitance).all():
        return None
    # Near-singular: the fix would trap customers. A 1 x 1 system (one step changed,
    # the usual fix) is singular only at 0, without the SVD that np.linalg.cond makes.
    if (capacitance[0, 0] == 0.0) if k == 1 else (np.linalg.cond(capacitance) > 1e10):
        return None
    x = y - z @ np.linalg.solve(capacitance, wy)
    start = chain.entry
    direct = _entry_absorbed(journey, index)
    direct_success = sum(m for sid, m in direct.items() if steps[sid].type == "success")
    direct_contacts = sum(m for sid, m in direct.items() if steps[sid].is_contact)
    direct_cost = sum(m * cost_of(sid) for sid, m in direct.items())
    completion = float(start @ x[:, 0]) + direct_success
    contacts = (float(start @ x[:, 1]) + direct_contacts) * chain.volume
    cost = (float(start @ x[:, 2]) + direct_cost) * chain.volume
    return completion, contacts, cost


def _entry_absorbed(journey: Journey, transient: dict[str, int]) -> dict[str, float]:
    """Entry shares that land directly on an outcome or a stuck step (not transient)."""
    out: dict[str, float] = {}
    for item in journey.entry:
        if item.step not in transient:
            out[item.step] = out.get(item.step, 0.0) + item.share
    return out
