"""The chance of ever reaching each step, from the visits and the fundamental matrix's diagonal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxaudit.analysis.linear import BATCH_LIMIT, LinearSystem

if TYPE_CHECKING:
    import numpy as np

__all__ = ["component_labels", "reach_probabilities"]


def reach_probabilities(
    transient: list[str],
    visits: np.ndarray,
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    inverse: np.ndarray | None,
    components: tuple[tuple[str, ...], ...],
    index: dict[str, int],
) -> np.ndarray:
    """The chance each transient step is ever reached.

    ``visits_i = reach_i * N_ii``, where ``N_ii`` is the expected visits to i
    of a customer who starts at i: the diagonal of the fundamental matrix
    ``N = (I - Q)^-1``. For a chain of at most :data:`INVERSE_LIMIT` steps,
    ``N`` is given (``inverse``): that diagonal itself. Otherwise: a return
    to i only passes through i's strongly connected component, so ``N_ii``
    is the diagonal of that component's own fundamental matrix: 1 without a
    loop, ``1 / (1 - p)`` with only a self-loop, a small per-component solve
    otherwise. ``r``, ``c`` and ``v`` are the rows, columns and values of ``Q``;
    ``components`` are the journey's strongly connected components
    (:attr:`~cxaudit.analysis.structure.Structure.components`) and ``index``
    each transient step's number.
    """
    import numpy as np

    n = len(transient)
    returns = np.ones(n)
    if n == 0:
        return returns
    if inverse is not None:
        return _reach(visits, inverse.diagonal())
    labels = component_labels(components, index, n)
    sizes = np.bincount(labels)
    loops = r == c
    lone = loops & (sizes[labels[r]] == 1)
    returns[r[lone]] = 1.0 / (1.0 - v[lone])
    inside = (labels[r] == labels[c]) & (sizes[labels[r]] > 1)
    if not inside.any():
        return _reach(visits, returns)
    edge_component = labels[r[inside]]
    members_order = np.argsort(labels, kind="stable")
    sorted_labels = labels[members_order]
    # Components of a few steps (retry loops), all of one size at once: one
    # stacked LAPACK call instead of a Python round per component.
    starts = np.cumsum(sizes) - sizes
    local_all = np.empty(n, dtype=np.int64)
    local_all[members_order] = np.arange(n) - starts[sorted_labels]
    edge_size = sizes[edge_component]
    er, ec, ev = r[inside], c[inside], v[inside]
    for size in np.flatnonzero(np.bincount(edge_size)):
        if size > BATCH_LIMIT:
            continue
        components = np.flatnonzero(sizes == size)
        slot = np.zeros(len(sizes), dtype=np.int64)
        slot[components] = np.arange(len(components))
        chosen = edge_size == size
        diagonal = np.arange(size)
        matrices = np.zeros((len(components), size, size))
        matrices[:, diagonal, diagonal] = 1.0
        matrices[slot[edge_component[chosen]], local_all[er[chosen]], local_all[ec[chosen]]] -= ev[chosen]
        inverses = np.linalg.inv(matrices)
        returns[members_order[starts[components][:, None] + diagonal]] = inverses[:, diagonal, diagonal]
    large = edge_size > BATCH_LIMIT
    if not large.any():
        return _reach(visits, returns)
    order = np.argsort(edge_component[large], kind="stable")
    er, ec, ev, ecomp = er[large][order], ec[large][order], ev[large][order], edge_component[large][order]
    for component in np.flatnonzero(np.bincount(ecomp)):  # components with inner edges (np.unique loads numpy.ma)
        lo, hi = np.searchsorted(ecomp, [component, component + 1])
        mlo, mhi = np.searchsorted(sorted_labels, [component, component + 1])
        members = members_order[mlo:mhi]
        li, lj = local_all[er[lo:hi]], local_all[ec[lo:hi]]
        system = LinearSystem(len(members), li, lj, ev[lo:hi])
        size = len(members)
        for start in range(0, size, 256):
            stop = min(start + 256, size)
            unit = np.zeros((size, stop - start))
            unit[np.arange(start, stop), np.arange(stop - start)] = 1.0
            block = system.solve(unit)
            returns[members[start:stop]] = block[np.arange(start, stop), np.arange(stop - start)]
    return _reach(visits, returns)


def _reach(visits: np.ndarray, returns: np.ndarray) -> np.ndarray:
    """``visits / returns``, 0 where that is not a number (or -inf, or returns is 0), 1 where it is +inf
    (np.nan_to_num, without its Python overhead, large for a small chain)."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reach = np.where(returns > 0, visits / returns, 0.0)
    bad = ~np.isfinite(reach)
    if bad.any():
        reach[bad] = np.where(reach[bad] == np.inf, 1.0, 0.0)
    return reach


def component_labels(components: tuple[tuple[str, ...], ...], index: dict[str, int], n: int) -> np.ndarray:
    """The strongly connected component of each of the ``n`` transient steps, as a label array.

    A component holding a transient step holds only transient steps (outcomes
    lead nowhere, stuck steps never lead back), and ``Q`` keeps every
    transition among them: the journey's components are the chain's.
    """
    import numpy as np

    labels = np.zeros(n, dtype=np.int64)
    for number, component in enumerate(components):
        if component[0] in index:
            labels[[index[sid] for sid in component]] = number
    return labels
