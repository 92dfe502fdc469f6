"""Steps that depend on where customers came from: contexts, the choice of depth, and labels for visits.

A journey of *history N* has one step per activity and per context: the
``N - 1`` activities visited just before it in the case, oldest first. At a
case's start the context is shorter and begins with :data:`START` (the
first visit of a case has the context ``("(start)",)`` at any N >= 2). A
step with a context says so in its ``after`` field; a step without one
stands for its activity after any history. Outcomes are never split: a
case ends there.

A log is seen through such a journey by labelling each visit with its step:
the step named like the activity whose ``after`` is the longest match of the
visit's previous activities (a step without ``after`` matches any). A visit
whose history no step matches exactly (one the journey's log never had)
goes to the step of its activity whose history ends most like it.

The depth is chosen, with ``--history auto``, by Akaike's information
criterion of the chain fitted at each depth (Tong, 1975): ``-2 log L + 2k``,
where ``L`` is the likelihood of the log's transitions (case ends included)
under the fitted chain and ``k`` its free parameters (a step's distinct next
steps less one, summed). AIC estimates how well each chain predicts cases it
was not fitted on, which is what a journey is for; the Bayesian criterion
(``k ln n`` in place of ``2k``), which seeks the true order, chose shorter
histories that failed held-out backtests of the helpdesk log.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxaudit.logs.read import EventLog
    from cxaudit.model import Journey

START = "(start)"
"""The context item that stands for the start of the case."""
LABEL = "\x00"
"""The first character of the label given to a visit of a split step; no activity starts with it."""
MAX_AUTO = 3
"""The largest history ``--history auto`` considers."""


def context(history: tuple[str | None, ...], depth: int) -> tuple[str, ...]:
    """The last ``depth`` activities of ``history`` (oldest first, None before the case's start),
    cut at the case's start.

    >>> context(("a", "b", "c"), 2), context((None, None, "c"), 2), context((None, None, None), 2)
    (('b', 'c'), ('(start)', 'c'), ('(start)',))
    >>> context(("a", "b"), 0)
    ()
    """
    if depth == 0:
        return ()
    recent = history[len(history) - depth :]
    kept: list[str] = []
    for item in reversed(recent):
        if item is None:
            kept.append(START)
            break
        kept.append(item)
    return tuple(reversed(kept))


@dataclass(frozen=True)
class DepthChoice:
    """The history chosen, and the criterion at each history considered."""

    history: int
    aic: dict[int, float]
    parameters: dict[int, int]

    def reason(self) -> str:
        from cxaudit import fmt

        shown = ", ".join(
            f"{n}: {self.aic[n]:,.0f} ({fmt.counted(self.parameters[n], 'parameter')})" for n in sorted(self.aic)
        )
        return f"history {self.history} has the lowest AIC, -2 log L + 2k (history {shown})"


def fitted(grams: Mapping[tuple[str | None, ...], int], depth: int, outcomes: frozenset[str]) -> dict:
    """(context, activity) -> {next activity (None: the case's end): visits}, for the chain of ``depth``
    from ``grams`` (the log's (previous activities..., activity, next) counts, of any larger depth)."""
    rows: dict[tuple[tuple[str, ...], str], dict[str | None, int]] = {}
    for gram, n in grams.items():
        *history, activity, following = gram
        if activity in outcomes:
            continue
        key = (context(tuple(history), depth), activity)
        row = rows.setdefault(key, {})
        row[following] = row.get(following, 0) + n
    return rows


def choose_depth(grams: Mapping[tuple[str | None, ...], int], outcomes: frozenset[str], largest: int) -> DepthChoice:
    """The history (1 to ``largest``) whose chain has the lowest AIC on ``grams`` (counted at depth ``largest - 1``)."""
    aic: dict[int, float] = {}
    parameters: dict[int, int] = {}
    for history in range(1, largest + 1):
        rows = fitted(grams, history - 1, outcomes)
        log_likelihood = 0.0
        free = 0
        for row in rows.values():
            total = sum(row.values())
            free += len(row) - 1
            log_likelihood += sum(n * math.log(n / total) for n in row.values())
        parameters[history] = free
        aic[history] = -2 * log_likelihood + 2 * free
    best = min(aic, key=lambda h: (round(aic[h], 6), h))
    return DepthChoice(best, aic, parameters)


def labeller(
    journey: Journey,
) -> tuple[int, Callable[[tuple[str | None, ...]], str | None], dict[str, str]] | None:
    """How to label a log's visits with the journey's split steps: the depth of history to look at, a
    function of (previous activities..., activity) giving a visit's label (None: not split), and each
    label's step id. None for a journey without split steps."""
    split: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for step_id, step in journey.steps.items():
        if step.after:
            split.setdefault(step.name.casefold(), []).append((step.after, step_id))
    if not split:
        return None
    depth = max(len(after) for steps in split.values() for after, _ in steps)
    for steps in split.values():  # the longest context first: the closest match wins
        steps.sort(key=lambda item: -len(item[0]))
    plain = {step.name.casefold(): step_id for step_id, step in journey.steps.items() if not step.after}

    def label(key: tuple[str | None, ...]) -> str | None:
        *history, activity = key
        steps = split.get(activity.casefold())
        if steps is None:
            return None  # not split: the activity's name maps it
        for after, step_id in steps:
            if context(tuple(history), len(after)) == after:
                return LABEL + step_id
        if activity.casefold() in plain:
            return LABEL + plain[activity.casefold()]
        # A history the journey has no step for (the log it was learned from never had it): the step whose
        # history ends most like it, the first by id among equals.
        best = min(steps, key=lambda item: (-_shared_tail(item[0], tuple(history)), item[1]))
        return LABEL + best[1]

    return depth, label, {LABEL + step_id: step_id for step_id in journey.steps}


def _shared_tail(after: tuple[str, ...], history: tuple[str | None, ...]) -> int:
    """How many of the last activities of ``after`` and of the visit's context agree.

    >>> _shared_tail(("b", "c"), ("x", "c")), _shared_tail(("(start)", "c"), (None, "c")), _shared_tail(("c",), ("d",))
    (1, 2, 0)
    """
    seen = context(history, len(after))
    shared = 0
    for mine, theirs in zip(reversed(after), reversed(seen), strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def split_for_discovery(
    events: EventLog, outcomes: frozenset[str], history: int | None
) -> tuple[dict[str, tuple[tuple[str, ...], str]], DepthChoice | None]:
    """Split the log's visits by their context at ``history`` (None: the depth :func:`choose_depth` picks,
    up to :data:`MAX_AUTO`), for discovery. Returns each label's (context, activity), empty at history 1,
    and the choice when it was made here."""
    choice = None
    if history is None:
        choice = choose_depth(events.ngrams(outcomes, MAX_AUTO - 1), outcomes, MAX_AUTO)
        history = choice.history
    if history <= 1:
        return {}, choice
    depth = history - 1
    states: dict[str, tuple[tuple[str, ...], str]] = {}

    def label(key: tuple[str | None, ...]) -> str | None:
        *before, activity = key
        if activity is None or activity in outcomes:
            return None
        after = context(tuple(before), depth)
        name = LABEL + "\x00".join((activity, *after))
        states[name] = (after, activity)
        return name

    events.split(depth, label)
    return states, choice
