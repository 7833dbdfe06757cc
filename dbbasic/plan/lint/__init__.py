"""The plan linter: one rule per module, run over every step of a plan.

A rule module exposes `CODE` (kebab-case, used in output, in `lint: {ignore: ...}` and as its docs
anchor), `LEVEL`, and `check(step, context) -> list[Finding]`; its docstring has a "Problem" and a
"Solution" paragraph, from which docs/lint-rules.md is generated. `RULES` is the only registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import ModuleType

from dbbasic.plan.lint import (
    concurrent_in_transaction,
    destructive_statement,
    index_blocks_writes,
    missing_down,
)
from dbbasic.plan.model import DdlStep, Plan
from dbbasic.sql.analyze import Effect, statement_effect
from dbbasic.sql.dialect import Dialect

RULES: tuple[ModuleType, ...] = (destructive_statement, concurrent_in_transaction, index_blocks_writes, missing_down)
CODES = tuple(rule.CODE for rule in RULES)


@dataclass(frozen=True)
class LintContext:
    """What a rule may know beyond the step: the dialect, what the spec allows, what the plan creates."""

    dialect: Dialect
    allow_destructive: bool = False
    created_tables: frozenset[str] = frozenset()
    ignore: dict[str, str] = field(default_factory=dict)
    known: dict[str, Effect] = field(default_factory=dict)
    """Effects already worked out in this plan: every rule asks about the same statements."""

    def effects(self, statements: tuple[str, ...]) -> list[Effect]:
        for s in statements:
            if s not in self.known:
                self.known[s] = statement_effect(self.dialect, s)
        return [self.known[s] for s in statements]


def lint_plan(plan: Plan, allow_destructive: bool = False, ignore: dict[str, str] | None = None) -> Plan:
    """The plan with the findings of every rule; ignored rules stay visible as `info` with the reason."""
    context = LintContext(Dialect.get(plan.dialect), ignore=dict(ignore or {}))
    created = frozenset(t for s in plan.steps if isinstance(s, DdlStep) for e in context.effects(s.up)
                        for t in e.creates)
    context = replace(context, allow_destructive=allow_destructive, created_tables=created)
    findings = []
    for step in plan.steps:
        for rule in RULES:
            for finding in rule.check(step, context):
                reason = context.ignore.get(finding.rule)
                if reason is not None:
                    finding = replace(finding, level="info", message=f"{finding.message} (ignored: {reason})")
                findings.append(finding)
    return plan.with_findings(findings)


def render_docs() -> str:
    """docs/lint-rules.md: each rule's code, level and its docstring's problem and solution."""
    lines = ["# Lint rules", "", "Generated from the rule modules in `dbbasic/plan/lint/` by "
             "`python -m dbbasic.plan.lint > docs/lint-rules.md`; do not edit by hand.", "",
             "Silence a rule for one migration, with a reason that reviewers see in `plan.md`:", "",
             "```yaml", "migration:", "  lint:", "    ignore:", '      missing-down: "why it is fine here"', "```"]
    for rule in sorted(RULES, key=lambda r: r.CODE):
        summary, _, body = (rule.__doc__ or "").strip().partition("\n\n")
        lines += ["", f"## `{rule.CODE}` ({rule.LEVEL})", "", summary, "", body.strip()]
    return "\n".join(lines) + "\n"
