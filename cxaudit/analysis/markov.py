"""Exact journey metrics from the absorbing Markov chain.

Outcomes are absorbing; dead ends and trap loops are absorbing too, as the
outcome *stuck* (a customer arriving there is counted once, on arrival); every
other step is transient. With ``Q`` the transient-to-transient probabilities
and ``s`` the entry shares, the expected visits ``v`` solve
``(I - Q)^T v = s`` and the probabilities of success from each step ``h``
solve ``(I - Q) h = r``: one LU factorisation serves both. No simulation, no
explicit inverse. Small chains use a dense solve, large ones a sparse LU
(scipy), with the same answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cxaudit.analysis.structure import Structure

if TYPE_CHECKING:
    import networkx as nx
    import numpy as np

    from cxaudit.model import Journey

__all__ = ["DENSE_LIMIT", "JourneyMetrics", "MarkovResult", "StepMetrics", "solve_chain"]

DENSE_LIMIT = 400
"""Chains with at most this many transient steps are solved densely."""
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
        if n <= DENSE_LIMIT:
            dense = np.eye(n)
            np.subtract.at(dense, (rows, cols), vals)
            self._dense = dense
            self._lu = None
            self._matrix = dense
        else:
            from scipy.sparse import coo_matrix, identity
            from scipy.sparse.linalg import splu

            q = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
            matrix = (identity(n, format="csc") - q).tocsc()
            self._dense = None
            self._lu = splu(matrix)
            self._matrix = matrix

    def solve(self, b: np.ndarray, transpose: bool = False) -> np.ndarray:
        import numpy as np

        if self.n == 0:
            return np.zeros_like(b, dtype=float)
        if self._dense is not None:
            x = np.linalg.solve(self._dense.T if transpose else self._dense, b)
        else:
            x = self._lu.solve(b, trans="T" if transpose else "N")
        matrix = self._matrix.T if transpose else self._matrix
        scale = float(np.abs(b).max()) or 1.0
        residual = float(np.abs(matrix @ x - b).max()) / scale
        self.residual = max(self.residual, residual)
        return x


def solve_chain(journey: Journey, graph: nx.DiGraph, structure: Structure) -> MarkovResult:
    """Exact metrics of ``journey``: see the module docstring for the method."""
    import numpy as np

    steps = journey.steps
    stuck = structure.stuck
    transient = [sid for sid, step in steps.items() if not step.is_outcome and sid not in stuck]
    index = {sid: i for i, sid in enumerate(transient)}
    n = len(transient)

    def is_contact(sid: str) -> bool:
        return steps[sid].is_contact

    def contact_cost(sid: str) -> float:
        channel = journey.channel_of(steps[sid])
        return (channel.cost or 0.0) if (channel and steps[sid].is_contact) else 0.0

    def duration(sid: str) -> float:
        return steps[sid].duration_s or 0.0

    def changes(a: str, b: str, attribute: str) -> bool:
        first, second = getattr(steps[a], attribute), getattr(steps[b], attribute)
        return first is not None and second is not None and first != second

    # The transient block Q, and what each transient step sends to absorbing states.
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    # Right-hand sides of the backward solves, one column each.
    columns = ("success", "contacts", "cost", "steps", "duration", "handoffs")
    rhs = np.zeros((n, len(columns)))
    switch_rate = np.zeros(n)
    handoff_rate = np.zeros(n)
    to_absorbing: list[tuple[int, str, float]] = []
    for i, sid in enumerate(transient):
        rhs[i, 1] = 1.0 if is_contact(sid) else 0.0
        rhs[i, 2] = contact_cost(sid)
        rhs[i, 3] = 1.0
        rhs[i, 4] = duration(sid)
        for _, target, p in graph.out_edges(sid, data="probability"):
            if changes(sid, target, "owner"):
                handoff_rate[i] += p
            if changes(sid, target, "channel"):
                switch_rate[i] += p
            j = index.get(target)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(p)
            else:
                to_absorbing.append((i, target, p))
                step = steps[target]
                rhs[i, 0] += p if step.type == "success" else 0.0
                rhs[i, 1] += p if step.is_contact else 0.0
                rhs[i, 2] += p * contact_cost(target)
                rhs[i, 3] += p if target in stuck else 0.0
                rhs[i, 4] += p * duration(target)
        rhs[i, 5] = handoff_rate[i]

    system = _LinearSystem(n, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals))
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

    flows: dict[tuple[str, str], float] = {}
    for i, sid in enumerate(transient):
        for _, target, p in graph.out_edges(sid, data="probability"):
            flows[(sid, target)] = float(visits_t[i] * p)
    for i, target, p in to_absorbing:
        absorbed[target] = absorbed.get(target, 0.0) + float(visits_t[i] * p)

    visits = {sid: float(visits_t[i]) for i, sid in enumerate(transient)}
    for sid in steps:
        if sid not in index:
            visits[sid] = absorbed.get(sid, 0.0)

    completion = sum(mass for sid, mass in absorbed.items() if steps[sid].type == "success")
    abandonment = sum(mass for sid, mass in absorbed.items() if steps[sid].type == "abandon")
    stuck_rate = sum(mass for sid, mass in absorbed.items() if sid in stuck)
    total = completion + abandonment + stuck_rate
    if total > 0:  # remove rounding drift so the three sum to 1
        completion, abandonment, stuck_rate = completion / total, abandonment / total, stuck_rate / total

    fcr, contact_rate, repeat = _first_contact_resolution(journey, graph, transient, stuck, entry_flows)
    reach = _reach_probabilities(graph, transient, index, visits_t, rows, cols, vals)

    volume = journey.volume
    step_metrics: dict[str, StepMetrics] = {}
    for sid, step in steps.items():
        i = index.get(sid)
        contacts_caused = 0.0
        lost = 0.0
        if i is not None:
            for _, target, _p in graph.out_edges(sid, data="probability"):
                flow = flows[(sid, target)]
                if steps[target].is_contact:
                    contacts_caused += flow
                if steps[target].type == "abandon" or target in stuck:
                    lost += flow
            row = after[i]
            success, contacts_after, cost_after, steps_after, duration_after, handoffs_after = (float(x) for x in row)
            reach_p = float(reach[i])
        else:
            success = 1.0 if step.type == "success" else 0.0
            contacts_after = 1.0 if step.is_contact else 0.0
            cost_after = contact_cost(sid)
            steps_after = 1.0 if sid in stuck else 0.0
            duration_after = duration(sid)
            handoffs_after = 0.0
            reach_p = visits[sid]
        step_metrics[sid] = StepMetrics(
            expected_visits=visits[sid],
            reach_probability=min(max(reach_p, 0.0), 1.0),
            success_probability=min(max(success, 0.0), 1.0),
            contacts_caused=contacts_caused * volume,
            customers_lost=lost * volume,
            expected_contacts_after=contacts_after,
            expected_cost_after=cost_after,
            expected_steps_after=steps_after,
            expected_duration_after_s=duration_after,
            expected_handoffs_after=handoffs_after,
            repeat_contact_probability=repeat.get(sid),
        )

    expected_contacts = sum(visits[sid] for sid, step in steps.items() if step.is_contact)
    contact_cost_total = sum(visits[sid] * contact_cost(sid) for sid in steps)
    lost_rate = abandonment + stuck_rate
    metrics = JourneyMetrics(
        completion_rate=completion,
        abandonment_rate=abandonment,
        stuck_rate=stuck_rate,
        expected_contacts=expected_contacts,
        contacts_per_period=expected_contacts * volume,
        contact_cost_per_period=contact_cost_total * volume,
        expected_effort=sum(visits[sid] * (step.effort or 0) for sid, step in steps.items()),
        expected_duration_s=sum(visits[sid] * duration(sid) for sid in steps),
        first_contact_resolution=fcr,
        value_at_risk=None if journey.value is None else lost_rate * volume * journey.value,
        expected_handoffs=float(visits_t @ handoff_rate) if n else 0.0,
        expected_channel_switches=float(visits_t @ switch_rate) if n else 0.0,
        customers_lost_per_period=lost_rate * volume,
        contact_rate=contact_rate,
        steps_without_effort=sum(1 for s in steps.values() if not s.is_outcome and s.effort is None),
        steps_without_duration=sum(1 for s in steps.values() if not s.is_outcome and s.duration_s is None),
        contact_steps_without_cost=sum(1 for sid, s in steps.items() if s.is_contact and contact_cost(sid) == 0),
    )
    return MarkovResult(metrics, step_metrics, flows, entry_flows, system.residual)


def _first_contact_resolution(
    journey: Journey,
    graph: nx.DiGraph,
    transient: list[str],
    stuck: frozenset[str],
    entry_flows: dict[str, float],
) -> tuple[float | None, float, dict[str, float]]:
    """First-contact resolution, the contact rate, and each contact's repeat chance.

    In a second chain, contact steps are absorbing too. Its forward solve
    gives where customers first contact (``f``), its backward solve the chance
    of ending the journey without any contact from each step (``h0``). A
    customer who first contacts at ``c`` contacts exactly once with
    probability ``g_c = sum_j P[c, j] h0[j]`` (1 for a stuck contact step).
    """
    import numpy as np

    steps = journey.steps
    quiet = [sid for sid in transient if not steps[sid].is_contact]
    index = {sid: i for i, sid in enumerate(quiet)}
    n = len(quiet)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    no_contact_end = np.zeros(n)
    into_contact: list[tuple[int, str, float]] = []
    for i, sid in enumerate(quiet):
        for _, target, p in graph.out_edges(sid, data="probability"):
            j = index.get(target)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(p)
            elif steps[target].is_contact:
                into_contact.append((i, target, p))
            else:
                no_contact_end[i] += p
    system = _LinearSystem(n, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals))
    entry = np.zeros(n)
    first = {sid: 0.0 for sid, step in steps.items() if step.is_contact}
    for sid, share in entry_flows.items():
        if sid in index:
            entry[index[sid]] += share
        elif sid in first:
            first[sid] += share
    visits = np.maximum(system.solve(entry, transpose=True), 0.0)
    quiet_end = system.solve(no_contact_end)
    for i, target, p in into_contact:
        first[target] += float(visits[i] * p)

    def no_more_contacts(sid: str) -> float:
        if steps[sid].is_contact:
            return 0.0
        if sid in index:
            return float(quiet_end[index[sid]])
        return 1.0  # an outcome, or stuck on a non-contact step

    once = {}
    for sid in first:
        if sid in stuck or not graph.out_degree(sid):
            once[sid] = 1.0
        else:
            once[sid] = sum(p * no_more_contacts(t) for _, t, p in graph.out_edges(sid, data="probability"))
    contact_rate = min(sum(first.values()), 1.0)
    exactly_once = sum(first[sid] * once[sid] for sid in first)
    fcr = None if contact_rate <= 1e-15 else min(exactly_once / contact_rate, 1.0)
    repeat = {sid: min(max(1.0 - once[sid], 0.0), 1.0) for sid in first}
    return fcr, contact_rate, repeat


def _reach_probabilities(
    graph: nx.DiGraph,
    transient: list[str],
    index: dict[str, int],
    visits: np.ndarray,
    rows: list[int],
    cols: list[int],
    vals: list[float],
) -> np.ndarray:
    """The chance each transient step is ever reached.

    ``visits_i = reach_i * N_ii``, where ``N_ii`` is the expected visits to i
    of a customer who starts at i. A return to i only passes through i's
    strongly connected component, so ``N_ii`` is the diagonal of that
    component's own fundamental matrix: 1 without a loop, ``1 / (1 - p)``
    with only a self-loop, a small per-component solve otherwise.
    """
    import networkx as nx
    import numpy as np

    n = len(transient)
    returns = np.ones(n)
    self_loop = {i: p for i, j, p in zip(rows, cols, vals, strict=True) if i == j}
    transient_set = set(transient)
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            (sid,) = component
            i = index.get(sid)
            if i is not None and i in self_loop:
                returns[i] = 1.0 / (1.0 - self_loop[i])
            continue
        if not component <= transient_set:
            continue
        members = sorted(index[sid] for sid in component)
        local = {g: k for k, g in enumerate(members)}
        sub_rows, sub_cols, sub_vals = [], [], []
        for sid in component:
            i = index[sid]
            for _, target, p in graph.out_edges(sid, data="probability"):
                j = index.get(target)
                if j is not None and j in local:
                    sub_rows.append(local[i])
                    sub_cols.append(local[j])
                    sub_vals.append(p)
        system = _LinearSystem(len(members), np.array(sub_rows), np.array(sub_cols), np.array(sub_vals))
        size = len(members)
        for start in range(0, size, 256):
            stop = min(start + 256, size)
            unit = np.zeros((size, stop - start))
            unit[np.arange(start, stop), np.arange(stop - start)] = 1.0
            block = system.solve(unit)
            for k in range(start, stop):
                returns[members[k]] = block[k, k - start]
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(returns > 0, visits / returns, 0.0)
    return np.nan_to_num(reach, nan=0.0, posinf=1.0)


def is_finite(value: float | None) -> bool:
    """True for a real, finite number."""
    return value is not None and math.isfinite(value)
