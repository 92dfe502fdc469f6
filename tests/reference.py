"""An independent dense reference for the chain metrics, written for the tests only.

It shares no code with cxaudit.analysis: its own reachability, explicit
fundamental matrix (fine at test sizes), and first-contact resolution from a
product chain that counts contacts (0, 1, 2 or more).
"""

from __future__ import annotations

import numpy as np


def _reach(start, succ):
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt in succ[node]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def reference_metrics(journey):
    ids = list(journey.steps)
    index = {sid: i for i, sid in enumerate(ids)}
    n = len(ids)
    P = np.zeros((n, n))
    succ = {sid: [] for sid in ids}
    for sid, step in journey.steps.items():
        for t in step.next:
            if t.probability > 0:
                P[index[sid], index[t.target]] = t.probability
                succ[sid].append(t.target)
    outcome = {sid for sid, s in journey.steps.items() if s.type in ("success", "abandon")}
    stuck = set()
    for sid in ids:
        if sid in outcome:
            continue
        reach = _reach(sid, succ)
        if not (reach & outcome) and all(sid in _reach(r, succ) for r in reach):
            stuck.add(sid)  # a closed class without outcome (dead ends included)
    absorbing = [sid for sid in ids if sid in outcome or sid in stuck]
    transient = [sid for sid in ids if sid not in absorbing]
    T = [index[s] for s in transient]
    A = [index[s] for s in absorbing]
    start = np.zeros(n)
    for e in journey.entry:
        start[index[e.step]] += e.share
    Q = P[np.ix_(T, T)]
    R = P[np.ix_(T, A)]
    N = np.linalg.inv(np.eye(len(T)) - Q)
    vT = start[T] @ N
    absorbed = vT @ R + start[A]
    visits = np.zeros(n)
    visits[T] = vT
    visits[A] = absorbed
    step_list = [journey.steps[s] for s in ids]

    def cost(step):
        ch = journey.channels.get(step.channel) if step.channel else None
        return (ch.cost or 0.0) if (ch and step.type == "contact") else 0.0

    contact = np.array([1.0 if s.type == "contact" else 0.0 for s in step_list])
    mass = dict(zip(absorbing, absorbed, strict=True))
    completion = sum(m for s, m in mass.items() if journey.steps[s].type == "success")
    abandonment = sum(m for s, m in mass.items() if journey.steps[s].type == "abandon")
    stuck_rate = sum(m for s, m in mass.items() if s in stuck)

    def changes(attr):
        total = 0.0
        for i in T:
            a = getattr(step_list[i], attr)
            for j in range(n):
                b = getattr(step_list[j], attr)
                if P[i, j] and a is not None and b is not None and a != b:
                    total += visits[i] * P[i, j]
        return total

    # First-contact resolution: a product chain over (step, contacts so far: 0, 1, 2+).
    m = 3 * n
    big = np.zeros((m, m))
    absorbing_set = set(A)
    for i in range(n):
        for k in range(3):
            if i in absorbing_set:
                big[3 * i + k, 3 * i + k] = 1.0
                continue
            for j in range(n):
                if P[i, j]:
                    k2 = min(k + int(contact[j]), 2)
                    big[3 * i + k, 3 * j + k2] += P[i, j]
    dist = np.zeros(m)
    for i in range(n):
        dist[3 * i + min(int(contact[i]), 2)] += start[i]
    # absorbed distribution of the product chain, by its own fundamental matrix
    moving = [x for x in range(m) if x // 3 not in absorbing_set]
    resting = [x for x in range(m) if x // 3 in absorbing_set]
    if moving:
        fundamental = np.linalg.inv(np.eye(len(moving)) - big[np.ix_(moving, moving)])
        final = np.zeros(m)
        final[resting] = dist[moving] @ fundamental @ big[np.ix_(moving, resting)] + dist[resting]
        dist = final
    by_count = [sum(dist[3 * i + k] for i in range(n)) for k in range(3)]
    contacted = by_count[1] + by_count[2]
    volume = journey.volume
    return {
        "completion_rate": completion,
        "abandonment_rate": abandonment,
        "stuck_rate": stuck_rate,
        "expected_contacts": float(visits @ contact),
        "contacts_per_period": float(visits @ contact) * volume,
        "contact_cost_per_period": sum(visits[i] * cost(step_list[i]) for i in range(n)) * volume,
        "expected_effort": sum(visits[i] * (step_list[i].effort or 0) for i in range(n)),
        "expected_duration_s": sum(visits[i] * (step_list[i].duration_s or 0) for i in range(n)),
        "first_contact_resolution": None if contacted < 1e-15 else by_count[1] / contacted,
        "value_at_risk": None if journey.value is None else (abandonment + stuck_rate) * volume * journey.value,
        "expected_handoffs": changes("owner"),
        "expected_channel_switches": changes("channel"),
        "visits": dict(zip(ids, visits, strict=True)),
    }
