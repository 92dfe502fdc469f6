"""Exact journey metrics from the absorbing Markov chain.

Outcomes are absorbing; dead ends and trap loops are absorbing too, as the
outcome *stuck* (a customer arriving there is counted once, on arrival); every
other step is transient. With ``Q`` the transient-to-transient probabilities
and ``s`` the entry shares, the expected visits ``v`` solve
``(I - Q)^T v = s`` and the probabilities of success from each step ``h``
solve ``(I - Q) h = r``: one factorisation serves both. No simulation. The
chance of ever reaching a step divides its visits by the diagonal of the
fundamental matrix ``(I - Q)^-1`` (see :func:`_reach_probabilities`).
Chains of at most :data:`INVERSE_LIMIT` transient steps compute that matrix
whole and solve by products with it (a call to numpy's solver costs more
than the arithmetic at that size); larger ones up to :data:`DENSE_LIMIT` use
a dense LU solve, and the largest a sparse LU (scipy). Every solve's
residual is checked, and the answers agree to the last digits or so (a
property test compares the paths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cxaudit.analysis.structure import Structure, Transitions, transitions

if TYPE_CHECKING:
    import networkx as nx
    import numpy as np

    from cxaudit.model import Journey, Step

__all__ = ["DENSE_LIMIT", "JourneyMetrics", "MarkovResult", "StepMetrics", "solve_chain"]

DENSE_LIMIT = 400
"""Chains with at most this many transient steps are solved densely."""
BATCH_LIMIT = 32
"""Strongly connected components up to this many steps are solved stacked, by size."""
INVERSE_LIMIT = 64
"""Chains with at most this many transient steps compute their whole
fundamental matrix: one inverse gives the return visits
for less than finding the loops and inverting each, and each solve is then a
product."""
ILL_CONDITIONED = 1e-8
"""Relative residual above which results are flagged as ill-conditioned."""


@dataclass(frozen=True, slots=True)
class JourneyMetrics:
    """Journey-level metrics; the field names are the JSON keys."""

    completion_rate: float
    abandonment_rate: float
    stuck_rate: float
    expected_contacts: float
    contacts_per_period: float
    contact_cost_per_period: float
    expected_effort: float
    expected_duration_s: float
    first_contact_resolution: float | None
    value_at_risk: float | None
    expected_handoffs: float
    expected_channel_switches: float
    customers_lost_per_period: float
    contact_rate: float
    """Share of customers who contact at least once."""
    steps_without_effort: int
    steps_without_duration: int
    contact_steps_without_cost: int
    decline_rate: float = 0.0
    """Share of customers the organisation declines (``decline`` outcomes): a decision, not a customer lost."""
    customers_declined_per_period: float = 0.0


@dataclass(frozen=True, slots=True)
class StepMetrics:
    """Per-step metrics; the field names are the JSON keys."""

    expected_visits: float
    reach_probability: float
    success_probability: float
    contacts_caused: float
    """Contacts per period that start from this step (flow into contact steps)."""
    customers_lost: float
    """Customers per period who go from this step to abandon or stuck."""
    expected_contacts_after: float
    """Expected contacts of a customer from this step on, this step included."""
    expected_cost_after: float
    """Expected contact cost of a customer from this step on, this step included."""
    expected_steps_after: float
    """Expected steps a customer takes from this step on, this step included."""
    expected_duration_after_s: float
    """Expected time a customer spends from this step on, this step included."""
    expected_handoffs_after: float
    """Expected handoffs between owners from this step on."""
    repeat_contact_probability: float | None
    """For contact steps: the chance the customer contacts again afterwards."""


@dataclass(frozen=True, slots=True)
class MarkovResult:
    """Everything the chain says about a journey."""

    metrics: JourneyMetrics
    steps: dict[str, StepMetrics]
    flows: dict[tuple[str, str], float] = field(repr=False)
    """Customers per customer entering (not per period) taking each transition."""
    entry_flows: dict[str, float] = field(repr=False)
    """Share of customers entering at each step."""
    residual: float = 0.0
    """Largest relative residual of the solves (a check of numerical health)."""
    chain: Any = field(default=None, repr=False, compare=False)
    """The factorised chain, kept to value fixes exactly without solving again from scratch."""

    @property
    def ill_conditioned(self) -> bool:
        """True when the solves left a residual large enough to doubt the digits."""
        return self.residual > ILL_CONDITIONED


class _LinearSystem:
    """``A = I - Q`` factorised once, solved for ``A x = b`` and ``A^T x = b``."""

    def __init__(self, n: int, rows: Any, cols: Any, vals: Any) -> None:
        import numpy as np

        self.n = n
        self.residual = 0.0
        self._inverse = None
        if n <= DENSE_LIMIT:
            dense = np.eye(n)
            np.subtract.at(dense, (rows, cols), vals)
            self._dense = dense
            self._lu = None
            self._matrix = dense
            if n <= INVERSE_LIMIT:  # each solve is then one product, cheaper than a call to numpy's solver
                self._inverse = np.linalg.inv(dense)
        else:
            from scipy.sparse import coo_matrix, identity
            from scipy.sparse.linalg import splu

            q = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
            matrix = (identity(n, format="csc") - q).tocsc()
            self._dense = None
            self._lu = splu(matrix)
            self._matrix = matrix

    @property
    def dense(self) -> np.ndarray | None:
        """``I - Q`` as a dense array, for a chain solved densely (None for a sparse one)."""
        return self._dense

    @property
    def inverse(self) -> np.ndarray | None:
        """``(I - Q)^-1``, the fundamental matrix, for a chain of at most :data:`INVERSE_LIMIT` steps (else None)."""
        return self._inverse

    def solve(self, b: np.ndarray, transpose: bool = False) -> np.ndarray:
        import numpy as np

        if self.n == 0:
            return np.zeros_like(b, dtype=float)
        if self._inverse is not None:
            x = (self._inverse.T if transpose else self._inverse) @ b
        elif self._dense is not None:
            x = np.linalg.solve(self._dense.T if transpose else self._dense, b)
        else:
            x = self._lu.solve(b, trans="T" if transpose else "N")
        matrix = self._matrix.T if transpose else self._matrix
        scale = float(np.abs(b).max()) or 1.0
        residual = float(np.abs(matrix @ x - b).max()) / scale
        self.residual = max(self.residual, residual)
        return x


def solve_chain(
    journey: Journey, graph: nx.DiGraph | None, structure: Structure, edges: Transitions | None = None
) -> MarkovResult:
    """Exact metrics of ``journey``: see the module docstring for the method.

    ``edges`` is ``transitions(journey)`` when the caller has it already.
    ``graph`` may be None (the audit passes none): the chain's loops are then
    found on its own transitions, in plain Python for a small journey and by
    SciPy for a large one; with a graph, networkx finds them in a small one.
    """
    import numpy as np

    from cxaudit.analysis.structure import compile_graph

    steps = journey.steps
    stuck = structure.stuck
    if edges is None:
        edges = transitions(journey)
    graph_arrays = structure.compiled or compile_graph(journey, edges)
    nodes = graph_arrays.nodes
    transient = [sid for sid, step in steps.items() if not step.is_outcome and sid not in stuck]
    index = {sid: i for i, sid in enumerate(transient)}
    n = len(transient)

    # Per-step facts, as arrays over the steps in file order (a step's number):
    # every transition is then handled by array operations. Sums over the
    # transitions go in file order (np.bincount and np.add.at add one by one),
    # the order of a loop over them.
    facts = list(steps.values())
    contacts = [sid for sid, step in steps.items() if step.is_contact]
    contact = set(contacts)
    is_contact = np.array([step.is_contact for step in facts], dtype=bool)
    is_success = np.array([step.type == "success" for step in facts], dtype=bool)
    is_stuck = np.array([sid in stuck for sid in steps], dtype=bool)
    is_lost = is_stuck | np.array([step.type == "abandon" for step in facts], dtype=bool)
    cost = np.zeros(len(facts))
    contact_numbers = np.flatnonzero(is_contact).tolist()
    for number in contact_numbers:
        cost[number] = _contact_cost(journey, facts[number])
    duration = np.array([step.duration_s or 0.0 for step in facts], dtype=float)
    owner = _codes([step.owner for step in facts])
    channel = _codes([step.channel for step in facts])
    position = np.full(len(facts), -1, dtype=np.int64)  # a step's row in Q, -1 if absorbing
    numbers = np.array([graph_arrays.index[sid] for sid in transient], dtype=np.int64)
    position[numbers] = np.arange(n)

    # The transitions customers take from transient steps, in file order.
    from_number = graph_arrays.sources
    row_of_source = position[from_number]
    taken = row_of_source >= 0
    source, source_number = row_of_source[taken], from_number[taken]
    target_number, p = graph_arrays.targets[taken], graph_arrays.probabilities[taken]
    target_row = position[target_number]
    inside = target_row >= 0
    # The transient block Q, and what each transient step sends to absorbing states.
    q_rows, q_cols, q_vals = source[inside], target_row[inside], p[inside]
    out = ~inside
    a_source, a_target, a_p = source[out], target_number[out], p[out]
    a_names = [nodes[k] for k in a_target.tolist()]
    to_absorbing = list(zip(a_source.tolist(), a_names, a_p.tolist(), strict=True))

    def plus(start: np.ndarray, chosen: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        np.add.at(start, a_source[chosen], amounts[chosen])
        return start

    everything = np.ones(len(a_p), dtype=bool)
    own, other = owner[source_number], owner[target_number]
    handoff = (own >= 0) & (other >= 0) & (own != other)
    handoff_rate = np.bincount(source[handoff], weights=p[handoff], minlength=n)
    own, other = channel[source_number], channel[target_number]
    switch = (own >= 0) & (other >= 0) & (own != other)
    switch_rate = np.bincount(source[switch], weights=p[switch], minlength=n)
    # Right-hand sides of the backward solves, one column each: success,
    # contacts, cost, steps, duration, handoffs.
    rhs = np.column_stack(
        [
            plus(np.zeros(n), is_success[a_target], a_p),
            plus(is_contact[numbers].astype(float), is_contact[a_target], a_p),
            plus(cost[numbers], everything, a_p * cost[a_target]),
            plus(np.ones(n), is_stuck[a_target], a_p),
            plus(duration[numbers], everything, a_p * duration[a_target]),
            handoff_rate,
        ]
    )

    system = _LinearSystem(n, q_rows, q_cols, q_vals)
    entry = np.zeros(n)
    entry_flows: dict[str, float] = {}
    absorbed: dict[str, float] = {}
    for item in journey.entry:
        entry_flows[item.step] = entry_flows.get(item.step, 0.0) + item.share
        if item.step in index:
            entry[index[item.step]] += item.share
        else:
            absorbed[item.step] = absorbed.get(item.step, 0.0) + item.share

    visits_t = system.solve(entry, transpose=True)
    visits_t = np.maximum(visits_t, 0.0)
    after = system.solve(rhs)
    visit_list = visits_t.tolist()  # Python floats: the same values, cheaper to use one by one

    flow = visits_t[source] * p
    flow_list = flow.tolist()
    pairs = zip([transient[i] for i in source.tolist()], [nodes[k] for k in target_number.tolist()], strict=True)
    flows = dict(zip(pairs, flow_list, strict=True))
    # Per transient step: the flow it sends to contact steps and to losses.
    into = is_contact[target_number]
    contacts_caused_list = np.bincount(source[into], weights=flow[into], minlength=n).tolist()
    into = is_lost[target_number]
    lost_list = np.bincount(source[into], weights=flow[into], minlength=n).tolist()
    for target, mass in zip(a_names, flow[out].tolist(), strict=True):
        absorbed[target] = absorbed.get(target, 0.0) + mass

    visits = dict(zip(transient, visit_list, strict=True))
    for sid in steps:
        if sid not in index:
            visits[sid] = absorbed.get(sid, 0.0)

    completion = sum(mass for sid, mass in absorbed.items() if steps[sid].type == "success")
    abandonment = sum(mass for sid, mass in absorbed.items() if steps[sid].type == "abandon")
    declined = sum(mass for sid, mass in absorbed.items() if steps[sid].type == "decline")
    stuck_rate = sum(mass for sid, mass in absorbed.items() if sid in stuck)
    total = completion + abandonment + declined + stuck_rate
    if total > 0:  # remove rounding drift so the four sum to 1
        completion, abandonment = completion / total, abandonment / total
        declined, stuck_rate = declined / total, stuck_rate / total

    chain_arrays = (q_rows, q_cols, q_vals, to_absorbing)
    fcr, contact_rate, repeat = _first_contact_resolution(
        edges, transient, index, chain_arrays, stuck, entry_flows, contacts
    )
    reach = _reach_probabilities(graph, transient, index, visits_t, q_rows, q_cols, q_vals, system.inverse)

    volume = journey.volume
    after_rows = after.tolist()
    reach_list = reach.tolist()
    cost_list, duration_list = cost.tolist(), duration.tolist()
    step_metrics: dict[str, StepMetrics] = {}
    for number, (sid, step) in enumerate(steps.items()):
        i = index.get(sid)
        if i is not None:
            contacts_caused, lost = contacts_caused_list[i], lost_list[i]
            success, contacts_after, cost_after, steps_after, duration_after, handoffs_after = after_rows[i]
            reach_p = reach_list[i]
        else:
            contacts_caused = lost = 0.0
            success = 1.0 if step.type == "success" else 0.0
            contacts_after = 1.0 if sid in contact else 0.0
            cost_after = cost_list[number]
            steps_after = 1.0 if sid in stuck else 0.0
            duration_after = duration_list[number]
            handoffs_after = 0.0
            reach_p = visits[sid]
        step_metrics[sid] = StepMetrics(  # by position, in the order of the fields: it runs for every step
            visits[sid],  # expected_visits
            min(max(reach_p, 0.0), 1.0),  # reach_probability
            min(max(success, 0.0), 1.0),  # success_probability
            contacts_caused * volume,  # contacts_caused
            lost * volume,  # customers_lost
            contacts_after,  # expected_contacts_after
            cost_after,  # expected_cost_after
            steps_after,  # expected_steps_after
            duration_after,  # expected_duration_after_s
            handoffs_after,  # expected_handoffs_after
            repeat.get(sid),  # repeat_contact_probability
        )

    expected_contacts = sum(visits[sid] for sid in steps if sid in contact)
    contact_cost_total = sum(visits[sid] * unit for sid, unit in zip(steps, cost_list, strict=True))
    lost_rate = abandonment + stuck_rate
    metrics = JourneyMetrics(
        completion_rate=completion,
        abandonment_rate=abandonment,
        stuck_rate=stuck_rate,
        expected_contacts=expected_contacts,
        contacts_per_period=expected_contacts * volume,
        contact_cost_per_period=contact_cost_total * volume,
        expected_effort=sum(visits[sid] * (step.effort or 0) for sid, step in steps.items()),
        expected_duration_s=sum(visits[sid] * d for sid, d in zip(steps, duration_list, strict=True)),
        first_contact_resolution=fcr,
        value_at_risk=None if journey.value is None else lost_rate * volume * journey.value,
        expected_handoffs=float(visits_t @ handoff_rate) if n else 0.0,
        expected_channel_switches=float(visits_t @ switch_rate) if n else 0.0,
        customers_lost_per_period=lost_rate * volume,
        contact_rate=contact_rate,
        steps_without_effort=sum(1 for s in steps.values() if not s.is_outcome and s.effort is None),
        steps_without_duration=sum(1 for s in steps.values() if not s.is_outcome and s.duration_s is None),
        contact_steps_without_cost=sum(1 for number in contact_numbers if cost_list[number] == 0),
        decline_rate=declined,
        customers_declined_per_period=declined * volume,
    )
    chain = _Chain(system, index, entry, after, rhs, absorbed, volume)
    return MarkovResult(metrics, step_metrics, flows, entry_flows, system.residual, chain)


def _codes(values: list[str | None]) -> np.ndarray:
    """Each value as a number, the same for equal values; -1 for None."""
    import numpy as np

    numbers: dict[str, int] = {}
    return np.array(
        [-1 if value is None else numbers.setdefault(value, len(numbers)) for value in values], dtype=np.int64
    )


def _contact_cost(journey: Journey, step: Step) -> float:
    """What one visit to ``step`` costs in contacts: its channel's cost, for a contact step."""
    if not step.is_contact:
        return 0.0
    channel = journey.channel_of(step)
    return (channel.cost or 0.0) if channel else 0.0


def _first_contact_resolution(
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
    system = _LinearSystem(n, number[rows[inside]], number[cols[inside]], vals[inside])
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


def _reach_probabilities(
    graph: nx.DiGraph | None,
    transient: list[str],
    index: dict[str, int],
    visits: np.ndarray,
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    inverse: np.ndarray | None = None,
) -> np.ndarray:
    """The chance each transient step is ever reached.

    ``visits_i = reach_i * N_ii``, where ``N_ii`` is the expected visits to i
    of a customer who starts at i: the diagonal of the fundamental matrix
    ``N = (I - Q)^-1``. For a chain of at most :data:`INVERSE_LIMIT` steps,
    ``N`` is given (``inverse``): that diagonal itself. Otherwise: a return
    to i only passes through i's strongly connected component, so ``N_ii``
    is the diagonal of that component's own fundamental matrix: 1 without a
    loop, ``1 / (1 - p)`` with only a self-loop, a small per-component solve
    otherwise. ``r``, ``c`` and ``v`` are the rows, columns and values of ``Q``.
    """
    import numpy as np

    n = len(transient)
    returns = np.ones(n)
    if n == 0:
        return returns
    if inverse is not None:
        return _reach(visits, inverse.diagonal())
    labels = _component_labels(graph, transient, index, n, r, c)
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
        system = _LinearSystem(len(members), li, lj, ev[lo:hi])
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


def _component_labels(
    graph: nx.DiGraph | None,
    transient: list[str],
    index: dict[str, int],
    n: int,
    rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    """Strongly connected component of each transient step, as a label array.

    Small chains: networkx on ``graph`` when one is given, otherwise
    :func:`~cxaudit.analysis.structure.strong_components` on Q's transitions
    (plain Python, the same components); large ones: SciPy's compiled version
    of the same algorithm, where a pure-Python one would dominate the run.
    networkx searches the whole graph (a subgraph view is several times
    slower to walk): a component holding a transient step holds only
    transient steps, since outcomes lead nowhere and stuck steps never lead
    back. Labels need not be consecutive.
    """
    import numpy as np

    if graph is None and n <= DENSE_LIMIT:
        from cxaudit.analysis.structure import strong_components

        successors: dict[int, list[int]] = {i: [] for i in range(n)}
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            successors[i].append(j)
        labels = np.zeros(n, dtype=np.int64)
        for number, component in enumerate(strong_components(successors)):
            labels[component] = number
        return labels
    if graph is not None and n <= DENSE_LIMIT:
        import networkx as nx

        labels = np.zeros(n, dtype=np.int64)
        for number, component in enumerate(nx.strongly_connected_components(graph)):
            for sid in component:
                i = index.get(sid)
                if i is not None:
                    labels[i] = number
        return labels
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adjacency = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    return connected_components(adjacency, directed=True, connection="strong")[1].astype(np.int64)


def is_finite(value: float | None) -> bool:
    """True for a real, finite number."""
    return value is not None and math.isfinite(value)


@dataclass
class _Chain:
    """What a fix needs of the solved chain: the factorisation and the backward solutions."""

    system: _LinearSystem
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

    def contact_cost(sid: str) -> float:
        return _contact_cost(journey, steps[sid])

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
        b[i, 2] = contact_cost(source)
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
                b[i, 2] += new * contact_cost(target)
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
    direct_cost = sum(m * contact_cost(sid) for sid, m in direct.items())
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
