"""The audit engine: runs the rules and turns their hits into ranked findings.

Rules only yield :class:`~cxaudit.rules.Hit` values. The engine attaches the
code, name, severity, location, owner, fingerprint and suppression, values
each finding's fix, and ranks them: by money (contacts avoided x their cost
plus customers kept x the journey's value), then customers kept, contacts
avoided, customers affected, with a deterministic tie-break. The value of a
fix is first estimated for every finding from the exact chain (first-order
flow attribution); the top findings are then verified by an exact recompute
of the journey with the fix applied.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from cxaudit.analysis import solve
from cxaudit.analysis.attribution import apply_fix
from cxaudit.engine.value import _exact, _first_order, _uncertain_fixes
from cxaudit.errors import JourneyError, Problem
from cxaudit.model import Finding, Impact, Severity

if TYPE_CHECKING:
    import networkx as nx

    from cxaudit.analysis.attribution import OwnerContacts
    from cxaudit.analysis.markov import JourneyMetrics, MarkovResult, Transitions
    from cxaudit.analysis.paths import SuccessPath, VariantShare
    from cxaudit.analysis.structure import Structure
    from cxaudit.model import Journey
    from cxaudit.rules import Hit

__all__ = ["AuditConfig", "JourneyAudit", "analyse", "apply_fix", "audit", "fingerprint"]

_GROUP_PREFERENCE = {"gate": 0, "structure": 1, "contact": 2, "recovery": 3, "friction": 4, "ownership": 5}


@dataclass(frozen=True)
class AuditConfig:
    """Which rules run, how severe they are, and their thresholds."""

    select: frozenset[str] | None = None
    """Rule codes to run; None runs every rule."""
    ignore: frozenset[str] = frozenset()
    """Rule codes not to run."""
    severity: Mapping[str, Severity] = field(default_factory=dict)
    """Severity overrides by rule code."""
    options: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Option overrides by rule code, already parsed."""
    exact_top: int = 10
    """How many of the top findings are verified by an exact recompute."""
    intervals: bool = True
    """Give a journey learned from a log (with evidence) 95% intervals on its metrics and top fixes."""

    def enabled(self, code: str) -> bool:
        return (self.select is None or code in self.select) and code not in self.ignore


@dataclass(frozen=True)
class JourneyAudit:
    """Everything cxaudit found out about one journey."""

    journey: Journey
    structure: Structure
    markov: MarkovResult
    owners: list[OwnerContacts]
    path: SuccessPath | None
    findings: tuple[Finding, ...]
    """Active findings by rank, then suppressed ones."""
    warnings: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    """Codes of the rules that ran, in catalog order."""
    intervals: Mapping[str, tuple[float, float] | None] | None = None
    """95% intervals of the metrics, by metric, for a journey with evidence (:mod:`cxaudit.analysis.intervals`)."""
    fix_intervals: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)
    """95% intervals of the values of the fixes valued exactly, by the finding's fingerprint, then by field."""
    ties: Mapping[str, int] = field(default_factory=dict)
    """For a fix the evidence cannot tell apart from the one ranked just above it: that one's rank, by fingerprint."""
    variants: tuple[VariantShare, ...] = ()
    """The log's most common paths (the journey's ``variants``), each with the share the journey predicts."""
    draws: Mapping[str, tuple[float, ...]] | None = None
    """Each metric over the posterior's draws, in draw order (for the interval of a change between two journeys)."""

    @property
    def metrics(self) -> JourneyMetrics:
        return self.markov.metrics

    @property
    def active(self) -> tuple[Finding, ...]:
        """Findings that are not suppressed, by rank."""
        return tuple(f for f in self.findings if f.suppressed is None)

    @property
    def suppressed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.suppressed is not None)


def fingerprint(journey_id: str, code: str, step: str | None, target: str | None) -> str:
    """A finding's identity, stable under edits that do not change what it is about.

    >>> fingerprint("checkout", "ST02", "wait", None)
    '66ac73f389f8b08f'
    """
    text = "|".join((journey_id, code, step or "", target or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def analyse(journey: Journey, edges: Transitions | None = None) -> tuple[nx.DiGraph, Structure, MarkovResult]:
    """The graph, structure and exact chain metrics of a journey.

    ``edges`` is ``transitions(journey)`` when the caller has it already.
    """
    from cxaudit.graph import build_graph

    structure, markov = solve(journey, edges)
    return build_graph(journey), structure, markov


def _check_ignores(journey: Journey) -> None:
    from cxaudit.rules import RULES
    from cxaudit.spec import did_you_mean

    problems = [
        Problem(
            journey.file,
            step.span.line,
            step.span.column,
            f"ignore names unknown rule '{code}'{did_you_mean(code, RULES)}",
            f"steps.{step.id}.ignore.{code}",
        )
        for step in journey.steps.values()
        for code in step.ignore
        if code not in RULES
    ]
    if problems:
        raise JourneyError(problems)


def audit(
    journey: Journey,
    config: AuditConfig | None = None,
    log: Any = None,
    activity_map: dict[str, str] | None = None,
    *,
    findings_only: bool = False,
) -> JourneyAudit:
    """Run every enabled rule on ``journey`` and rank what they find.

    ``findings_only=True`` is for an output that shows only the findings
    (``check``'s text and GitHub formats): no finding's fix is valued (the
    impacts hold only the customers affected and the contacts, and findings
    are ranked by those), and the result keeps the journey-level metrics but
    not the per-step metrics, flows, owners and path. Valuing was a quarter
    of the work on small journeys, and the rest a third of what worker
    processes send back.

    Raises
    ------
    JourneyError
        A step ignores a rule code that does not exist.
    """
    from cxaudit.analysis.attribution import contacts_by_owner
    from cxaudit.analysis.intervals import has_evidence, metric_draws, metric_intervals, posterior
    from cxaudit.analysis.markov import transitions
    from cxaudit.analysis.paths import most_probable_path, variant_shares
    from cxaudit.rules import RULES, AuditContext

    config = config or AuditConfig()
    _check_ignores(journey)
    edges = transitions(journey)
    # No networkx graph is made unless a rule asks for one (none of the built-in rules does).
    structure, markov = solve(journey, edges)
    context = AuditContext(journey, None, structure, markov, given_transitions=edges)
    if log is not None:
        from cxaudit.analysis.conformance import map_activities

        context.conformance = map_activities(journey, log, activity_map)

    labelled: list[tuple[type, Hit]] = []
    enabled = [code for code in RULES if config.enabled(code) and (log is not None or not RULES[code].needs_log)]
    last = [code for code in enabled if RULES[code].runs_last]
    for code in [code for code in enabled if not RULES[code].runs_last] + last:
        if code == (last or [None])[0]:  # the rules that judge what the others found
            context.found = {(rule_class.code, hit.step) for rule_class, hit in labelled}
            context.ran = frozenset(enabled)
        rule_class = RULES[code]
        options = {name: option.default for name, option in rule_class.options.items()}
        options.update(config.options.get(code, {}))
        labelled.extend((rule_class, hit) for hit in rule_class().hits(context, options))

    kept = _by_activity(journey, _deduplicate(labelled))
    findings = [_finding(context, rule_class, hit, config, not findings_only) for rule_class, hit in kept]
    fixes = {f.fingerprint: hit.fix for f, (_, hit) in zip(findings, kept, strict=True)}
    ranked = _rank(context, findings, fixes, 0 if findings_only else config.exact_top)

    intervals, fix_intervals, ties, draws, drawn = None, {}, {}, None, None
    if config.intervals and not findings_only and has_evidence(journey):
        drawn = posterior(journey, structure)
        draws = metric_draws(drawn.results)
        intervals = metric_intervals(markov.metrics, draws)
        fix_intervals, ties = _uncertain_fixes(context, ranked, fixes, config.exact_top, drawn)
    warnings = []
    if drawn is not None and drawn.stale:
        warnings.append(
            f"the probabilities of {', '.join(repr(sid) for sid in drawn.stale)} are not the shares their "
            "evidence counts: edited since the log? Intervals use the sample size only; calibrate again to renew"
        )
    if markov.ill_conditioned:
        warnings.append(
            f"the journey's equations are ill-conditioned (relative residual {markov.residual:.1e}): "
            "the last digits of the metrics may be off"
        )
    if findings_only:  # what such an output never shows is left out (worker processes send less back)
        markov = replace(markov, steps={}, flows={}, entry_flows={}, chain=None)
        owners: list[OwnerContacts] = []
        path = None
    else:
        owners = contacts_by_owner(journey, markov)
        path = most_probable_path(journey, edges)
    return JourneyAudit(
        journey=journey,
        structure=structure,
        markov=markov,
        owners=owners,
        path=path,
        findings=tuple(ranked),
        warnings=tuple(warnings),
        rules=tuple(enabled),
        intervals=intervals,
        fix_intervals=fix_intervals,
        ties=ties,
        draws=draws,
        variants=variant_shares(journey),
    )


def _deduplicate(labelled: list[tuple[type, Hit]]) -> list[tuple[type, Hit]]:
    """One finding per fix: where two rules name the same fix, keep one.

    The one kept is the more severe, then the one of the more specific group
    (structure, contact, recovery, friction, ownership).
    """
    best: dict[tuple, tuple[type, Hit]] = {}
    out: list[tuple[type, Hit] | None] = []
    slot: dict[tuple, int] = {}
    for rule_class, hit in labelled:
        if not hit.fix:
            out.append((rule_class, hit))
            continue
        key = frozenset(hit.fix)
        if key not in best:
            best[key] = (rule_class, hit)
            slot[key] = len(out)
            out.append((rule_class, hit))
            continue
        kept_class = best[key][0]
        preference = (-int(rule_class.severity), _GROUP_PREFERENCE.get(rule_class.group, 9))
        kept_preference = (-int(kept_class.severity), _GROUP_PREFERENCE.get(kept_class.group, 9))
        if preference < kept_preference:
            best[key] = (rule_class, hit)
            out[slot[key]] = (rule_class, hit)
    return [item for item in out if item is not None]


def _by_activity(journey: Journey, labelled: list[tuple[type, Hit]]) -> list[tuple[type, Hit]]:
    """One finding per rule and activity in a journey split by history: a rule's hits at several steps of
    one activity (each after another history) become one, at the step it touches most, with their fixes
    together and their contacts added up (customers may pass several of the steps: the most one touches
    stands for them all)."""
    from cxaudit.analysis.history import activity_groups

    groups = activity_groups(journey)
    if not groups:
        return labelled
    activity = {step_id: name for name, members in groups.items() for step_id in members}
    slots: dict[tuple[str, str], int] = {}
    out: list[tuple[type, list[Hit]]] = []
    for rule_class, hit in labelled:
        name = activity.get(hit.step or "") if hit.target is None and hit.span is None else None
        key = (rule_class.code, name or "")
        if name is not None and key in slots:
            out[slots[key]][1].append(hit)
            continue
        if name is not None:
            slots[key] = len(out)
        out.append((rule_class, [hit]))
    return [(rule_class, _merged(hits)) for rule_class, hits in out]


def _merged(hits: list[Hit]) -> Hit:
    """One hit for a rule's hits at the steps of one activity (see :func:`_by_activity`)."""
    main = max(hits, key=lambda h: (h.customers_affected, h.contacts))
    if len(hits) == 1:
        return main
    fix = tuple(dict.fromkeys(pair for h in hits for pair in h.fix))
    more = f"; the same at {len(hits) - 1} more of its steps, split by where customers came from"
    return replace(main, message=main.message + more, fix=fix, contacts=sum(h.contacts for h in hits))


def _finding(context, rule_class: type, hit: Hit, config: AuditConfig, value_fix: bool = True) -> Finding:  # type: ignore[no-untyped-def]
    journey = context.journey
    if hit.span is not None:
        span = hit.span
    elif hit.target is not None:
        span = context.transition_span(hit.step, hit.target)
    elif hit.step is not None:
        span = journey.steps[hit.step].span
    else:
        span = journey.span
    step = journey.steps.get(hit.step) if hit.step else None
    suppressed = step.ignore.get(rule_class.code) if step is not None else None
    return Finding(
        code=rule_class.code,
        name=rule_class.name,
        severity=config.severity.get(rule_class.code, rule_class.severity),
        journey=journey.id,
        step=hit.step,
        target=hit.target,
        owner=step.owner if step is not None else None,
        file=span.file,
        line=span.line,
        column=span.column,
        message=hit.message,
        remediation=hit.remediation,
        impact=_first_order(context, hit) if value_fix else Impact(hit.customers_affected, hit.contacts),
        fingerprint=fingerprint(journey.id, rule_class.code, hit.step, hit.target),
        suppressed=suppressed,
        element=step.origin if step is not None else None,
    )


def _rank(context, findings: list[Finding], fixes: dict, exact_top: int) -> list[Finding]:  # type: ignore[no-untyped-def]
    active = sorted((f for f in findings if f.suppressed is None), key=Finding.rank_key)
    suppressed = sorted((f for f in findings if f.suppressed is not None), key=Finding.rank_key)
    revalued = False
    for number, finding in enumerate(active[:exact_top]):
        fix = fixes.get(finding.fingerprint)
        if fix:
            active[number] = replace(finding, impact=_exact(context, fix, finding.impact))
            revalued = True
    if revalued:  # exact values can reorder the top
        active.sort(key=Finding.rank_key)
    return [_with_rank(finding, rank) for rank, finding in enumerate(active, start=1)] + suppressed


_FINDING_FIELDS = [f.name for f in fields(Finding)]
_finding_values = operator.attrgetter(*_FINDING_FIELDS)
_RANK = _FINDING_FIELDS.index("rank")


def _with_rank(finding: Finding, rank: int) -> Finding:
    """A copy of ``finding`` with its rank (what ``dataclasses.replace`` makes, several times sooner)."""
    values = list(_finding_values(finding))
    values[_RANK] = rank
    return Finding(*values)
