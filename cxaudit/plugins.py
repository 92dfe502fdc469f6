"""The public API for rules of one's own: subclass :class:`Rule`, yield :class:`Hit` values, and register
the class under the entry-point group ``cxaudit.rules`` (docs/plugins.md).

>>> from cxaudit.plugins import Hit, Rule, Severity
>>> class NoChannel(Rule):
...     '''Steps that name no channel: nobody knows where the customer is.'''
...     code, name, severity = "AC01", "no-channel", Severity.INFO
...     def check(self, context):
...         for step_id, step in context.graph.nodes(data="step"):
...             if not step.is_outcome and step.channel is None:
...                 yield Hit(step=step_id, message=f"'{step.name}' names no channel")
"""

from __future__ import annotations

from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule
from cxaudit.rules.registry import GROUP, PluginError

RuleContext = AuditContext
"""What a rule sees: ``journey``, ``graph`` (networkx, made on first use), the exact metrics
(``markov``, ``metrics(step_id)``), ``options`` and the helpers of :class:`~cxaudit.rules.base.AuditContext`."""

__all__ = ["GROUP", "Hit", "Option", "PluginError", "Rule", "RuleContext", "Severity"]
