"""The plan linter: one rule per module, run over every step of a plan.

A rule module exposes `CODE` (kebab-case, used in output, in `lint: {ignore: ...}` and as its docs
anchor), `LEVEL`, and `check(step, context) -> list[Finding]`; its docstring has a "Problem" and a
"Solution" paragraph, from which docs/lint-rules.md is generated. `RULES` is the only registry.

Most PostgreSQL rules port one of Squawk's (github.com/sbdchd/squawk) under its name; where a rule
differs from Squawk's, its docstring says how. `_sql.py` holds what the rules read from a statement.

Levels: "error" (apply refuses the plan) where a statement destroys data, fails, or blocks reads and
writes for a time that grows with the table (a rewrite or a scan under ACCESS EXCLUSIVE); "warning"
where only writes wait (SHARE locks), a lock is brief, clients may break, or for style. Rules about
locks and rewrites stay silent for tables the plan creates: they are empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import ModuleType

from sqlglot import exp

from dbbasic.plan.lint import (
    _sql,
    adding_field_with_default,
    adding_foreign_key_constraint,
    adding_not_nullable_field,
    adding_required_field,
    adding_serial_primary_key_field,
    ban_char_field,
    batched_key_without_index,
    changing_column_type,
    concurrent_in_transaction,
    constraint_missing_not_valid,
    destructive_statement,
    disallowed_unique_constraint,
    missing_down,
    prefer_bigint_over_int,
    prefer_robust_stmts,
    prefer_text_field,
    prefer_timestamptz,
    renaming_column,
    renaming_table,
    require_concurrent_index_creation,
    require_concurrent_index_deletion,
    rewrite_on_large_table,
    transaction_nesting,
)
from dbbasic.plan.model import DdlStep, Plan
from dbbasic.sql.analyze import Effect, statement_effect
from dbbasic.sql.dialect import Dialect

RULES: tuple[ModuleType, ...] = (
    destructive_statement, concurrent_in_transaction, require_concurrent_index_creation, missing_down,
    adding_field_with_default, adding_not_nullable_field, adding_required_field, adding_foreign_key_constraint,
    adding_serial_primary_key_field, changing_column_type, constraint_missing_not_valid, disallowed_unique_constraint,
    renaming_column, renaming_table, require_concurrent_index_deletion, prefer_bigint_over_int, prefer_text_field,
    prefer_timestamptz, prefer_robust_stmts, ban_char_field, transaction_nesting, batched_key_without_index,
    rewrite_on_large_table,
)
CODES = tuple(rule.CODE for rule in RULES)


@dataclass(frozen=True)
class LintContext:
    """What a rule may know beyond the step: the dialect, what the spec allows, what the plan creates,
    and what is known of the live tables."""

    dialect: Dialect
    allow_destructive: bool = False
    created_tables: frozenset[str] = frozenset()
    ignore: dict[str, str] = field(default_factory=dict)
    indexed: frozenset[tuple[str, str]] = frozenset()
    """(table, first column) of every index known to exist (primary keys, unique keys, indexes), plus those
    this plan creates on those tables. A table with no pair here is unknown, not unindexed."""
    table_rows: dict[str, int] = field(default_factory=dict)
    """Rows per table as the database estimates them (`pg_class.reltuples`); a table not here is unknown."""
    proven_not_null: frozenset[tuple[str, str]] = frozenset()
    """(table, column) that this plan proves NOT NULL with a valid `CHECK (column IS NOT NULL)`, which
    lets PostgreSQL 12+ `SET NOT NULL` without scanning the table."""
    known: dict[str, Effect] = field(default_factory=dict)
    """Effects already worked out in this plan: every rule asks about the same statements."""
    columns: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """The column types of each statement, once worked out (`_sql.column_types`)."""

    def effects(self, statements: tuple[str, ...]) -> list[Effect]:
        for s in statements:
            if s not in self.known:
                self.known[s] = statement_effect(self.dialect, s)
        return [self.known[s] for s in statements]


def lint_context(plan: Plan, allow_destructive: bool = False, ignore: Mapping[str, str] | None = None,
                 indexed: Iterable[tuple[str, str]] = (), table_rows: Mapping[str, int] | None = None) -> LintContext:
    """The context every rule sees for the steps of `plan`."""
    context = LintContext(Dialect.get(plan.dialect), allow_destructive, ignore=dict(ignore or {}),
                          table_rows=dict(table_rows or {}))
    statements = [s for step in plan.steps for s in _sql.ddl_statements(step)]
    created = frozenset(t for s in plan.steps if isinstance(s, DdlStep) for e in context.effects(s.up)
                        for t in e.creates)
    known = frozenset(indexed)
    tables = {table for table, _ in known}
    planned = {pair for s in statements if tables and (pair := _index_start(context, s)) is not None
               and pair[0] in tables}
    return replace(context, created_tables=created, indexed=known | planned,
                   proven_not_null=_proven_not_null(context, statements))


def lint_plan(plan: Plan, allow_destructive: bool = False, ignore: dict[str, str] | None = None,
              indexed: Iterable[tuple[str, str]] = (), table_rows: Mapping[str, int] | None = None) -> Plan:
    """The plan with the findings of every rule; ignored rules stay visible as `info` with the reason.

    `indexed` and `table_rows` describe the live database when they are known (see `LintContext`);
    without them the rules that need them stay silent."""
    context = lint_context(plan, allow_destructive, ignore, indexed, table_rows)
    findings = []
    for step in plan.steps:
        for rule in RULES:
            for finding in rule.check(step, context):
                reason = context.ignore.get(finding.rule)
                if reason is not None:
                    finding = replace(finding, level="info", message=f"{finding.message} (ignored: {reason})")
                findings.append(finding)
    return plan.with_findings(findings)


def _index_start(context: LintContext, statement: str) -> tuple[str, str] | None:
    """(table, first column) of a CREATE INDEX whose first key is a plain column."""
    first, second = _sql.head(statement)
    tree = context.dialect.parse(statement) if first == "CREATE" and second in ("INDEX", "UNIQUE") else None
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Index):
        return None
    table, params = tree.this.args.get("table"), tree.this.args.get("params")
    columns = params.args.get("columns") if params is not None else None
    key = columns[0].this if columns else None
    return (table.name, key.name) if isinstance(table, exp.Table) and isinstance(key, exp.Column) else None


def _proven_not_null(context: LintContext, statements: list[str]) -> frozenset[tuple[str, str]]:
    """(table, column) with a `CHECK (column IS NOT NULL)` that the plan adds valid, or adds NOT VALID and
    validates (`VALIDATE CONSTRAINT`, which sqlglot does not parse: read from the tokens)."""
    checks: dict[str, tuple[str, str, bool]] = {}
    validated: set[str] = set()
    for statement in statements:
        name = _sql.validated(context, statement)
        if name is not None:
            validated.add(name)
        found = _sql.alter_table(context, statement)
        if found is None:
            continue
        for action in found[1]:
            for name, definition in _sql.constraints(action):
                condition = definition.this if isinstance(definition, exp.CheckColumnConstraint) else None
                if (isinstance(condition, exp.Is) and condition.args.get("negate")
                        and isinstance(condition.this, exp.Column) and isinstance(condition.expression, exp.Null)):
                    checks[name] = (found[0], condition.this.name, _sql.not_valid(context, statement))
    return frozenset((table, column) for name, (table, column, later) in checks.items()
                     if not later or name in validated)


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
