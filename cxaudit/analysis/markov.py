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

from cxaudit.analysis.contacts import first_contact_resolution
from cxaudit.analysis.fixes import Chain, evaluate_fix
from cxaudit.analysis.linear import DENSE_LIMIT, ILL_CONDITIONED, LinearSystem
from cxaudit.analysis.reach import reach_probabilities
from cxaudit.analysis.structure import Structure, Transitions, transitions
from cxaudit.model import contact_cost

if TYPE_CHECKING:
    import numpy as np

    from cxaudit.model import Journey

__all__ = ["DENSE_LIMIT", "JourneyMetrics", "MarkovResult", "StepMetrics", "evaluate_fix", "is_finite", "solve_chain"]


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


def solve_chain(
    journey: Journey, structure: Structure, edges: Transitions | None = None, *, reach: bool = True
) -> MarkovResult:
    """Exact metrics of ``journey``: see the module docstring for the method.

    ``edges`` is ``transitions(journey)`` when the caller has it already.
    ``reach=False`` leaves out each step's chance of being reached (NaN in
    its metrics), which no journey-level figure needs and which costs a
    solve per step of a large loop (a clickstream's thousands of pages).
    """
    import numpy as np

    from cxaudit.analysis.structure import compile_graph

    steps = journey.steps
    stuck = structure.stuck
    if edges is None:
        edges = transitions(journey)
    graph_arrays = compile_graph(journey, edges)
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
        cost[number] = contact_cost(journey, facts[number])
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

    system = LinearSystem(n, q_rows, q_cols, q_vals)
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
    fcr, contact_rate, repeat = first_contact_resolution(
        edges, transient, index, chain_arrays, stuck, entry_flows, contacts
    )
    reached = (
        reach_probabilities(transient, visits_t, q_rows, q_cols, q_vals, system.inverse, structure.components, index)
        if reach
        else np.full(n, np.nan)
    )

    volume = journey.volume
    after_rows = after.tolist()
    reach_list = reached.tolist()
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
    chain = Chain(system, index, entry, after, rhs, absorbed, volume)
    return MarkovResult(metrics, step_metrics, flows, entry_flows, system.residual, chain)


def _codes(values: list[str | None]) -> np.ndarray:
    """Each value as a number, the same for equal values; -1 for None."""
    import numpy as np

    numbers: dict[str, int] = {}
    return np.array(
        [-1 if value is None else numbers.setdefault(value, len(numbers)) for value in values], dtype=np.int64
    )


def is_finite(value: float | None) -> bool:
    """True for a real, finite number."""
    return value is not None and math.isfinite(value)
