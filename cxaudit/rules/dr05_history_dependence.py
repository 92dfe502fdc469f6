from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.analysis.conformance import END, START
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class HistoryDependence(Rule):
    """Where customers go after a step depends on where they came from, and the journey does not model it.

    What it finds
    -------------
    Runs only against an event log. A journey says where customers go from a
    step whatever brought them there (a first-order chain). For each step
    reached from two or more steps by at least ``min_cases`` cases each, the
    log's next steps are tabulated by the step before (a contingency table)
    and tested for independence with Pearson's chi-squared test
    (``scipy.stats.chi2_contingency``). The step is reported when the test's
    p-value is below ``alpha`` divided by the number of steps tested
    (Bonferroni) and the effect is large enough: Cramér's V of at least
    ``min_effect``.

    Why it hurts customers
    ----------------------
    A chain that forgets history invents what no customer does: loops that
    never happen, repeats of one-off steps, a "most probable path" nobody
    takes. The fixes it ranks and the numbers it gives then point at the
    wrong steps.

    How to fix it
    -------------
    Model the history: split the step into one step per route that leads to
    it (``assess_after_report``, ``assess_after_call``), each with its own
    ``next``, and calibrate them from the log.

    Failing example
    ---------------
    ::

        # the log: after report, 90% of cases go from assess to pay;
        # after call_us, 90% go from assess to lost
        steps:
          assess: {name: Assess, next: {pay: 0.5, lost: 0.5}}

    Passing example
    ---------------
    ::

        steps:
          assess_after_report: {name: Assess, next: {pay: 0.9, lost: 0.1}}
          assess_after_call: {name: Assess, next: {pay: 0.1, lost: 0.9}}
    """

    code = "DR05"
    name = "history-dependence"
    group = "drift"
    needs_log = True
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "alpha": Option(0.001, "significance level of the chi-squared test, for all steps together", 0, 1, "share"),
        "min_effect": Option(0.3, "smallest Cramér's V (0: none, 1: the route decides everything)", 0, 1, "share"),
        "min_cases": Option(20, "fewest cases from a previous step for its row to be tested", 1, None, "integer"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        conformance = audit.conformance
        if conformance is None or not conformance.history:
            return
        tables: dict[str, dict[str, dict[str, int]]] = {}
        for (before, step_id, after), n in conformance.history.items():
            row = tables.setdefault(step_id, {}).setdefault(before, {})
            row[after] = row.get(after, 0) + n
        tested = []
        for step_id in sorted(tables, key=list(audit.journey.steps).index):
            rows = {before: row for before, row in tables[step_id].items() if sum(row.values()) >= options["min_cases"]}
            columns = sorted({after for row in rows.values() for after in row})
            if len(rows) >= 2 and len(columns) >= 2:
                tested.append((step_id, rows, columns))
        if not tested:
            return
        from scipy.stats import chi2_contingency

        threshold = options["alpha"] / len(tested)
        for step_id, rows, columns in tested:
            befores = sorted(rows)
            table = [[rows[before].get(after, 0) for after in columns] for before in befores]
            chi2, p_value, _, _ = chi2_contingency(table)
            n = sum(map(sum, table))
            effect = math.sqrt(chi2 / (n * (min(len(befores), len(columns)) - 1)))
            if p_value >= threshold or effect < options["min_effect"]:
                continue
            # The next step whose share differs most between routes, and the routes at either end.
            spread = []
            for j, after in enumerate(columns):
                shares = [(table[i][j] / sum(table[i]), befores[i]) for i in range(len(befores))]
                spread.append((max(shares)[0] - min(shares)[0], after, max(shares), min(shares)))
            _, after, (high, high_from), (low, low_from) = max(spread)
            step = audit.journey.steps[step_id]
            yield Hit(
                step=step_id,
                message=f"where customers go after '{step.name}' depends on where they came from: "
                f"{fmt.pct(high)} go on to {self._name(audit, after)} after {self._name(audit, high_from)}, "
                f"{fmt.pct(low)} after {self._name(audit, low_from)} (chi-squared test of {fmt.count(n)} cases, "
                f"p = {p_value:.1e}, Cramér's V = {effect:.2f})",
                remediation=f"Split '{step_id}' into one step per route that leads to it, each with its own "
                "`next`, and calibrate them from the log (cxaudit calibrate).",
                customers_affected=float(n),
            )

    @staticmethod
    def _name(audit: AuditContext, step_id: str) -> str:
        if step_id == START:
            return "the start of the case"
        if step_id == END:
            return "the end of the case"
        return f"'{audit.journey.steps[step_id].name}'"
