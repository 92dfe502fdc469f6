"""What every rule is made of, and what a rule sees of a journey."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from cxaudit import fmt
from cxaudit.model import Severity, SourceSpan

if TYPE_CHECKING:
    import networkx as nx

    from cxaudit.analysis.markov import MarkovResult, StepMetrics, Transitions
    from cxaudit.analysis.structure import Structure
    from cxaudit.model import Journey, Step

__all__ = ["DOC_SECTIONS", "AuditContext", "Hit", "Option", "Rule"]

DOC_SECTIONS = ("What it finds", "Why it hurts customers", "How to fix it", "Failing example", "Passing example")
"""The parts every rule's docstring must have, as headings."""


@dataclass(frozen=True, slots=True)
class Option:
    """A rule option (a threshold) with its default."""

    default: float | None
    """None: not set (the rule does nothing with it until configured)."""
    description: str
    minimum: float = 0.0
    maximum: float | None = None
    kind: str = "number"
    """``number``, ``share`` (0..1), ``integer`` or ``duration`` (seconds, or 30s, 3m...)."""

    def parse(self, value: Any) -> float:
        """The option's value from configuration (ValueError with the reason)."""
        from cxaudit.journey.kinds import parse_duration

        if self.kind == "duration":
            seconds = parse_duration(value)
            if seconds is None:
                raise ValueError("must be seconds or a duration such as 30s, 3m, 2h, 1d")
            return seconds
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an integer of hundreds of digits
            finite = False
        if not finite:  # nan compares false with every bound and would disable the rule
            raise ValueError("must be a finite number")
        if self.kind == "integer" and int(value) != value:
            raise ValueError("must be a whole number")
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            upper = "" if self.maximum is None else f" and at most {self.maximum:g}"
            raise ValueError(f"must be at least {self.minimum:g}{upper}")
        return float(value)


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule yields: a problem at a step (or a transition), with its numbers.

    The engine turns hits into :class:`~cxaudit.model.Finding` values: it adds
    code, severity, location, suppression, fingerprint, impact and rank.
    """

    step: str | None
    message: str
    remediation: str
    target: str | None = None
    fix: tuple[tuple[str, str], ...] = ()
    """Transitions whose removal models the fix (their share goes to the step's other transitions)."""
    customers_affected: float = 0.0
    """Customers per period the problem touches."""
    contacts: float = 0.0
    """Contacts per period involved."""
    span: SourceSpan | None = None
    """Where to point, when not at the step (or the transition)."""


class Rule:
    """A check of journeys. Subclasses set the class attributes and ``check``.

    The docstring of a rule is its documentation: ``cxaudit explain CODE``
    prints it, and it must have the sections in :data:`DOC_SECTIONS`.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    group: ClassVar[str] = "plugin"
    severity: ClassVar[Severity]
    options: ClassVar[Mapping[str, Option]] = {}
    needs_log: ClassVar[bool] = False
    """True for a rule that compares the journey with an event log: it runs only when one is given."""
    runs_last: ClassVar[bool] = False
    """True for a rule that judges what the other rules found (``context.found``, ``context.ran``)."""
    takes_options: ClassVar[bool] = True
    """True for ``check(self, context, options)``; False for a plugin's ``check(self, context)``, which reads
    its options from ``context.options``. Set from the signature."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.takes_options = len(inspect.signature(cls.check).parameters) >= 3

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        """Yield a hit for every problem found."""
        raise NotImplementedError

    def hits(self, context: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        """:meth:`check` called as the rule declares it."""
        if self.takes_options:
            return self.check(context, options)
        context.options = options
        return self.check(context)  # type: ignore[call-arg]

    @classmethod
    def summary(cls) -> str:
        """The first line of the documentation."""
        return inspect.getdoc(cls).splitlines()[0]  # type: ignore[union-attr]

    @classmethod
    def documentation(cls) -> str:
        """The whole documentation, with the options and their defaults."""
        text = inspect.getdoc(cls) or ""
        if cls.options:
            lines = ["", "Options", "-------", ""]
            for option_name, option in cls.options.items():
                if option.default is None:
                    default = "not set"
                elif option.kind == "duration":
                    default = fmt.duration(option.default)
                else:
                    default = f"{option.default:g}"
                lines.append(f"{option_name} (default {default}): {option.description}")
            text += "\n" + "\n".join(lines)
        return text


@dataclass
class AuditContext:
    """A journey and everything computed about it, as rules see it."""

    journey: Journey
    given_graph: nx.DiGraph | None
    """A networkx graph of the journey the caller made already (the audit makes none); see :attr:`graph`."""
    structure: Structure
    markov: MarkovResult
    found: set[tuple[str, str | None]] | None = None
    """(code, step) of every finding of the rules run before, for SP01."""
    ran: frozenset[str] = frozenset()
    """Codes of the rules that ran."""
    conformance: Any = None
    """The journey against an event log, for the drift rules (None without a log)."""
    given_transitions: Transitions | None = None
    """``transitions(journey)``, when the caller made it already for the chain."""
    options: Mapping[str, float] = field(default_factory=dict)
    """The options of the rule being run, for a rule whose ``check`` takes only the context."""

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The journey as a networkx graph (:func:`cxaudit.graph.build_graph`), made on first use:
        nodes are step ids with the step as ``step``; edges carry the probability as ``p`` (and
        ``probability``). The audit's own searches walk the transitions and need none."""
        if self.given_graph is not None:
            return self.given_graph
        from cxaudit.graph import build_graph

        return build_graph(self.journey)

    def incoming(self, step_id: str) -> tuple[str, ...]:
        """Steps with a transition customers take into ``step_id`` (itself included), in file order."""
        return self._incoming.get(step_id, ())

    @cached_property
    def _incoming(self) -> dict[str, tuple[str, ...]]:
        sources: dict[str, list[str]] = {}
        for source, edges in self._transitions.items():
            for target, _ in edges:
                sources.setdefault(target, []).append(source)
        return {target: tuple(found) for target, found in sources.items()}

    @cached_property
    def volume(self) -> float:
        return self.journey.volume

    @cached_property
    def per(self) -> str:
        """'a month', 'per period'... for messages."""
        return fmt.per(self.journey.period)

    def step(self, step_id: str) -> Step:
        return self.journey.steps[step_id]

    def metrics(self, step_id: str) -> StepMetrics:
        return self.markov.steps[step_id]

    def flow(self, source: str, target: str) -> float:
        """Customers per period taking a transition."""
        return self.markov.flows.get((source, target), 0.0) * self.volume

    def reach(self, step_id: str) -> float:
        """Customers per period who reach a step at least once."""
        return self.markov.steps[step_id].reach_probability * self.volume

    def owner(self, step_id: str) -> str:
        """The display name of a step's owner, or 'no team'."""
        return self._owner_names[step_id] or "no team"

    def team(self, step_id: str) -> str:
        """The owner's name for remediation text: 'the team that owns it' when there is none."""
        return self._owner_names[step_id] or "the team that answers it"

    def money(self, amount: float) -> str:
        return fmt.money(amount, self.journey.currency)

    def unit_cost(self, step_id: str) -> float:
        """What one visit to a contact step costs (0 for other steps)."""
        return self._unit_costs[step_id]

    def is_contact(self, step_id: str) -> bool:
        """True for contact steps."""
        return step_id in self._contacts

    def is_loss(self, step_id: str) -> bool:
        """True for abandon outcomes and steps where customers are stuck."""
        return step_id in self._losses

    def is_assisted(self, step_id: str) -> bool | None:
        """Whether a step's channel is assisted; None when the catalog does not say."""
        return self._assisted[step_id]

    def kind(self, step_id: str) -> str:
        """Who does the work at a step, for advice that fits it: ``self-service`` (the customer, in a channel
        nobody serves), ``assisted`` (a person of the organisation serves the customer) or ``back office`` (no
        channel: the organisation works while the customer waits)."""
        assisted = self._assisted[step_id]
        if assisted is None:
            return "back office"
        return "assisted" if assisted else "self-service"

    # Rules ask these for every step or transition: answered once per step here.
    @cached_property
    def _owner_names(self) -> dict[str, str | None]:
        """Each step's owner's display name (None for a step without an owner)."""
        journey = self.journey
        return {sid: journey.owner_name(step.owner) if step.owner else None for sid, step in journey.steps.items()}

    @cached_property
    def _unit_costs(self) -> dict[str, float]:
        from cxaudit.model import contact_cost

        journey = self.journey
        return {step_id: contact_cost(journey, step) for step_id, step in journey.steps.items()}

    @cached_property
    def _contacts(self) -> frozenset[str]:
        return frozenset(sid for sid, step in self.journey.steps.items() if step.is_contact)

    @cached_property
    def _losses(self) -> frozenset[str]:
        abandon = {sid for sid, step in self.journey.steps.items() if step.type == "abandon"}
        return frozenset(abandon | self.structure.stuck)

    @cached_property
    def _assisted(self) -> dict[str, bool | None]:
        journey = self.journey
        out: dict[str, bool | None] = {}
        for step_id, step in journey.steps.items():
            channel = journey.channel_of(step)
            out[step_id] = None if channel is None else channel.assisted
        return out

    def reached_contacts(self, min_reach: float) -> Iterator[tuple[str, Step, StepMetrics]]:
        """Contact steps (not stuck) that at least ``min_reach`` of customers reach, in file order."""
        for step_id, step in self.journey.steps.items():
            if not step.is_contact or step_id in self.structure.stuck:
                continue
            metrics = self.markov.steps[step_id]
            if metrics.reach_probability >= min_reach:
                yield step_id, step, metrics

    def successors(self, step_id: str) -> tuple[tuple[str, float], ...]:
        """(target, probability) of the transitions customers take from a step (p > 0), in file order."""
        return self._transitions[step_id]

    @cached_property
    def _transitions(self) -> Transitions:
        if self.given_transitions is not None:
            return self.given_transitions
        from cxaudit.analysis.markov import transitions

        return transitions(self.journey)

    @cached_property
    def money_known(self) -> tuple[bool, bool]:
        """(some contact step has a cost, the journey has a value)."""
        from cxaudit.analysis.attribution import money_known

        return money_known(self.journey)

    @cached_property
    def components(self) -> dict[str, int]:
        """Each step's strongly connected component, as a number."""
        import networkx as nx

        out: dict[str, int] = {}
        for number, component in enumerate(nx.strongly_connected_components(self.graph)):
            for step_id in component:
                out[step_id] = number
        return out

    def transition_span(self, source: str, target: str) -> SourceSpan:
        for transition in self.step(source).next:
            if transition.target == target:
                return transition.span
        return self.step(source).span
