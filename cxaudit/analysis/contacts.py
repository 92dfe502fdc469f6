"""First-contact resolution: of the customers who contact, the share whose first contact resolves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxaudit.analysis.linear import LinearSystem

if TYPE_CHECKING:
    import numpy as np

    from cxaudit.analysis.structure import Transitions

__all__ = ["first_contact_resolution"]


def first_contact_resolution(
    edges: Transitions,
    transient: list[str],
    index: dict[str, int],
    chain: tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, str, float]]],
    stuck: frozenset[str],
    entry_flows: dict[str, float],
    contacts: list[str],
) -> tuple[float | None, float, dict[str, float]]:
    """First-contact resolution, the contact rate, and each contact's repeat chance.

    In a second chain, contact steps are absorbing too. Its forward solve
    gives where customers first contact (``f``), its backward solve the chance
    of ending the journey without any contact from each step (``h0``). A
    customer who first contacts at ``c`` contacts exactly once with
    probability ``g_c = sum_j P[c, j] h0[j]`` (1 for a stuck contact step).

    The second chain is cut out of the first one's arrays (``chain``: the rows,
    columns and values of ``Q`` over ``transient``, and the transitions to
    absorbing steps, in file order), so its sums are added in the same order
    as a walk over the transitions would add them. ``contacts`` are the
    contact steps in file order.
    """
    import numpy as np

    rows, cols, vals, to_absorbing = chain
    contact = set(contacts)
    # The quiet steps: transient, not contact; their numbers in the second chain.
    quiet = np.fromiter((sid not in contact for sid in transient), dtype=bool, count=len(transient))
    number = np.cumsum(quiet) - 1
    n = int(number[-1]) + 1 if len(number) else 0
    quiet_source = quiet[rows]
    inside = quiet_source & quiet[cols]
    system = LinearSystem(n, number[rows[inside]], number[cols[inside]], vals[inside])
    # Where quiet steps first contact: transient contact steps, then absorbing ones (stuck contact steps).
    to_contact = quiet_source & ~quiet[cols]
    into_contact = list(
        zip(
            number[rows[to_contact]].tolist(),
            [transient[j] for j in cols[to_contact].tolist()],
            vals[to_contact].tolist(),
            strict=True,
        )
    )
    is_quiet = quiet.tolist()
    position = number.tolist()
    ending: list[int] = []
    ending_p: list[float] = []
    for i, target, p in to_absorbing:
        if is_quiet[i]:
            if target in contact:
                into_contact.append((position[i], target, p))
            else:  # an outcome, or stuck without a contact
                ending.append(position[i])
                ending_p.append(p)
    no_contact_end = np.bincount(ending, weights=ending_p, minlength=n) if ending else np.zeros(n)

    entry = np.zeros(n)
    first = dict.fromkeys(contacts, 0.0)
    for sid, share in entry_flows.items():
        i = index.get(sid)
        if i is not None and is_quiet[i]:
            entry[position[i]] += share
        elif sid in first:
            first[sid] += share
    visits = np.maximum(system.solve(entry, transpose=True), 0.0).tolist()
    quiet_end = system.solve(no_contact_end).tolist()
    for i, target, p in into_contact:
        first[target] += visits[i] * p

    def no_more_contacts(sid: str) -> float:
        if sid in contact:
            return 0.0
        i = index.get(sid)
        if i is not None:
            return quiet_end[position[i]]
        return 1.0  # an outcome, or stuck on a non-contact step

    once = {}
    for sid in first:
        if sid in stuck or not edges[sid]:
            once[sid] = 1.0
        else:
            once[sid] = sum(p * no_more_contacts(t) for t, p in edges[sid])
    contact_rate = min(sum(first.values()), 1.0)
    exactly_once = sum(first[sid] * once[sid] for sid in first)
    fcr = None if contact_rate <= 1e-15 else min(exactly_once / contact_rate, 1.0)
    repeat = {sid: min(max(1.0 - once[sid], 0.0), 1.0) for sid in first}
    return fcr, contact_rate, repeat
