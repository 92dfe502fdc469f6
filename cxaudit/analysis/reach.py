"""The chance of ever reaching each step, from the visits and the fundamental matrix's diagonal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxaudit.analysis.linear import BATCH_LIMIT, LinearSystem

if TYPE_CHECKING:
    import numpy as np

__all__ = ["reach_probabilities"]


def reach_probabilities(
    transient: list[str],
    visits: np.ndarray,
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    inverse: np.ndarray | None = None,
    labels: np.ndarray | None = None,
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
    ``labels``, each step's strongly connected component when the caller knows
    them (found here otherwise).
    """
    import numpy as np

    n = len(transient)
    returns = np.ones(n)
    if n == 0:
        return returns
    if inverse is not None:
        return _reach(visits, inverse.diagonal())
    if labels is None:
        labels = _component_labels(n, r, c)
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


def _component_labels(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Strongly connected component of each transient step, as a label array.

    :func:`~cxaudit.analysis.structure.strong_components` on Q's transitions,
    in plain Python for chains of every size (networkx's components are the
    test oracle).
    """
    import numpy as np

    from cxaudit.analysis.structure import strong_components

    successors: dict[int, list[int]] = {i: [] for i in range(n)}
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        successors[i].append(j)
    labels = np.zeros(n, dtype=np.int64)
    for number, component in enumerate(strong_components(successors)):
        labels[component] = number
    return labels
