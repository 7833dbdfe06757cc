"""ADD COLUMN ... NOT NULL without a default on an existing PostgreSQL table.

Problem: every row already in the table would have NULL in the new column, so PostgreSQL refuses the
statement as soon as the table has one row: the step fails on every database with data, usually first
in production. Squawk's rule of the same name. A serial or identity column and a stored generated
column get values, so they are not reported here (`adding-field-with-default` reports their rewrite).
Tables created in the same plan are empty, so the rule stays silent for them; it is silent on SQLite
(which refuses such a column on any table, so apply fails at once there).

Solution: give the column a constant `DEFAULT` (no rewrite on PostgreSQL 11+); or add it nullable, fill
it in a batched step, then make it NOT NULL (see `adding-not-nullable-field` for doing that without a
long lock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "adding-required-field"
LEVEL: Level = "error"
_FILLED = (exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint, exp.ComputedColumnConstraint)


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    for _, table, action in _sql.altered(step, context):
        if isinstance(action, exp.ColumnDef) and _required(action):
            findings.append(Finding(
                step.id, CODE, LEVEL, f"adding `{action.name}` NOT NULL without a default fails as soon as "
                f"`{table}` has a row: the rows already there have no value for it",
                "give it a constant DEFAULT, or add it nullable, fill it in a batched step, then make it NOT NULL"))
    return findings


def _required(column: exp.ColumnDef) -> bool:
    kinds = _sql.column_constraints(column)
    dtype = column.args.get("kind")
    return (any(isinstance(k, exp.NotNullColumnConstraint) for k in kinds)
            and not any(isinstance(k, _FILLED) for k in kinds) and not (dtype is not None and _sql.is_serial(dtype)))
