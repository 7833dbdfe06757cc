"""A primary key added to an existing PostgreSQL table without USING INDEX.

Problem: `ADD PRIMARY KEY (...)`, and `ADD COLUMN ... PRIMARY KEY` (typically a new `serial` key),
build the key's unique index while holding an ACCESS EXCLUSIVE lock: reads and writes wait until it
is built. A new serial or identity key column also fills every row, a rewrite of the table under the
same lock. Squawk's rule of the same name, which covers any primary key added this way. Tables
created in the same plan are empty, so the rule stays silent for them; it is silent on SQLite.

Solution: fill the key column first (add it without a default and fill it in a batched step), build
its index with `CREATE UNIQUE INDEX CONCURRENTLY` in a step with `transactional: false`, then
`ALTER TABLE ... ADD CONSTRAINT name PRIMARY KEY USING INDEX name`, a brief catalog change (the
columns must be NOT NULL: see `adding-not-nullable-field`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "adding-serial-primary-key-field"
LEVEL: Level = "error"
HELP = ("CREATE UNIQUE INDEX CONCURRENTLY in a step with `transactional: false`, then ADD CONSTRAINT ... "
        "PRIMARY KEY USING INDEX in a later step")


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    # `PRIMARY KEY USING INDEX` does not parse: such a statement is never found here.
    for _, table, action in _sql.altered(step, context):
        what = ""
        if isinstance(action, exp.ColumnDef):
            kinds = _sql.column_constraints(action)
            if any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds):
                dtype = action.args.get("kind")
                fills = (dtype is not None and _sql.is_serial(dtype)) or any(
                    isinstance(k, exp.GeneratedAsIdentityColumnConstraint) for k in kinds)
                what = f"`{action.name}` as the primary key" + (", filling every row," if fills else "")
        elif any(isinstance(d, exp.PrimaryKey) for _, d in _sql.constraints(action)):
            what = "a primary key"
        if what:
            findings.append(Finding(step.id, CODE, LEVEL, f"adding {what} builds its index under an ACCESS "
                                    f"EXCLUSIVE lock: reads and writes to `{table}` wait until it is done", HELP))
    return findings
