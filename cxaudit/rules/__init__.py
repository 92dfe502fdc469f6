"""The rule catalog: an explicit registry from code to rule."""

from __future__ import annotations

from cxaudit.rules.base import DOC_SECTIONS, AuditContext, Hit, Option, Rule
from cxaudit.rules.ct01_high_contact_step import HighContactStep
from cxaudit.rules.ct02_unresolved_contact import UnresolvedContact
from cxaudit.rules.ct03_repeat_contact import RepeatContact
from cxaudit.rules.dr01_undeclared_transition import UndeclaredTransition
from cxaudit.rules.dr02_unobserved_transition import UnobservedTransition
from cxaudit.rules.dr03_probability_drift import ProbabilityDrift
from cxaudit.rules.dr04_unmapped_activity import UnmappedActivity
from cxaudit.rules.dr05_history_dependence import HistoryDependence
from cxaudit.rules.fr01_effort_pothole import EffortPothole
from cxaudit.rules.fr02_drop_off_hotspot import DropOffHotspot
from cxaudit.rules.fr03_rework_loop import ReworkLoop
from cxaudit.rules.fr04_channel_switch import ChannelSwitch
from cxaudit.rules.fr05_long_wait import LongWait
from cxaudit.rules.gt01_metric_gate import MetricGate
from cxaudit.rules.ow01_unowned_step import UnownedStep
from cxaudit.rules.ow02_handoff_hotspot import HandoffHotspot
from cxaudit.rules.rc01_slow_recovery import SlowRecovery
from cxaudit.rules.registry import plugin_rules
from cxaudit.rules.sp01_unused_suppression import UnusedSuppression
from cxaudit.rules.st01_unreachable_step import UnreachableStep
from cxaudit.rules.st02_dead_end import DeadEnd
from cxaudit.rules.st03_no_way_to_success import NoWayToSuccess
from cxaudit.rules.st04_trap_loop import TrapLoop
from cxaudit.rules.st05_no_success_outcome import NoSuccessOutcome

__all__ = [
    "BUILT_IN_RULES",
    "DOC_SECTIONS",
    "RULES",
    "AuditContext",
    "Hit",
    "Option",
    "Rule",
    "find_rule",
    "summary_of",
]

BUILT_IN_RULES: dict[str, type[Rule]] = {
    rule.code: rule
    for rule in (
        UnreachableStep,
        DeadEnd,
        NoWayToSuccess,
        TrapLoop,
        NoSuccessOutcome,
        EffortPothole,
        DropOffHotspot,
        ReworkLoop,
        ChannelSwitch,
        LongWait,
        HighContactStep,
        UnresolvedContact,
        RepeatContact,
        UnownedStep,
        HandoffHotspot,
        SlowRecovery,
        MetricGate,
        UndeclaredTransition,
        UnobservedTransition,
        ProbabilityDrift,
        UnmappedActivity,
        HistoryDependence,
        UnusedSuppression,
    )
}
"""cxaudit's own rules, by code, in catalog order."""

RULES: dict[str, type[Rule]] = {**BUILT_IN_RULES, **plugin_rules(BUILT_IN_RULES)}
"""Every rule, by code: cxaudit's own in catalog order, then the plugins' (entry-point group ``cxaudit.rules``)."""


def summary_of(rule: type[Rule]) -> str:
    """What a rule finds, in one line: its ``summary`` when it states one, else its docstring's first line."""
    stated = rule.summary
    return stated if isinstance(stated, str) else stated()


def find_rule(code_or_name: str) -> type[Rule]:
    """The rule with this code (any case) or name.

    Raises
    ------
    KeyError
        With a message naming the closest code or name.
    """
    from cxaudit.spec import did_you_mean

    key = code_or_name.strip()
    if key.upper() in RULES:
        return RULES[key.upper()]
    for rule in RULES.values():
        if rule.name == key.lower():
            return rule
    choices = [*RULES, *(rule.name for rule in RULES.values())]
    raise KeyError(f"unknown rule '{code_or_name}'{did_you_mean(key.upper() if len(key) == 4 else key, choices)}")


def catalog_markdown() -> str:
    """The rule catalog as Markdown (docs/rules.md is this text)."""
    lines = [
        "# Rules",
        "",
        "Every rule cxaudit runs, generated from the rules' own documentation "
        "(`cxaudit rules` lists them, `cxaudit explain CODE` prints one).",
        "",
        "| code | name | group | default | finds |",
        "|---|---|---|---|---|",
    ]
    for code, rule in RULES.items():
        lines.append(
            f"| [{code}](#{code.lower()}-{rule.name}) | {rule.name} | {rule.group} | "
            f"{rule.severity.label} | {summary_of(rule)} |"
        )
    for code, rule in RULES.items():
        lines += ["", f"## {code} {rule.name}", ""]
        doc = rule.documentation()
        for line in doc.splitlines():
            if line == "::":
                continue
            lines.append(line)
    text = "\n".join(lines) + "\n"
    # numpydoc underlines become Markdown headings
    import re

    return re.sub(r"^(.+)\n-{3,}$", r"### \1", text, flags=re.MULTILINE)
