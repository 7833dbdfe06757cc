"""A UNIQUE constraint added to an existing PostgreSQL table without USING INDEX.

Problem: `ADD CONSTRAINT ... UNIQUE (...)` (and `ADD COLUMN ... UNIQUE`) builds the constraint's index
while holding an ACCESS EXCLUSIVE lock on the table: reads and writes wait until the whole index is
built. Squawk's rule of the same name. Tables created in the same plan are empty, so the rule stays
silent for them; it is silent on SQLite.

Solution: build the index first with `CREATE UNIQUE INDEX CONCURRENTLY name ON ...` in a step with
`transactional: false` (reads and writes go on), then attach it in a later step with
`ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX name`, a brief catalog change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "disallowed-unique-constraint"
LEVEL: Level = "error"
HELP = ("CREATE UNIQUE INDEX CONCURRENTLY in a step with `transactional: false`, then ADD CONSTRAINT ... "
        "UNIQUE USING INDEX in a later step")


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    # `UNIQUE USING INDEX` does not parse: such a statement is never found here.
    for _, table, action in _sql.altered(step, context):
        if isinstance(action, exp.ColumnDef):
            unique = any(isinstance(k, exp.UniqueColumnConstraint) for k in _sql.column_constraints(action))
            labels = [f"`{action.name}` UNIQUE"] if unique else []
        else:
            labels = [f"the UNIQUE constraint `{name}`" if name else "a UNIQUE constraint"
                      for name, definition in _sql.constraints(action)
                      if isinstance(definition, exp.UniqueColumnConstraint)]
        findings += [Finding(step.id, CODE, LEVEL, f"adding {label} builds its index under an ACCESS EXCLUSIVE "
                             f"lock: reads and writes to `{table}` wait until it is built", HELP)
                     for label in labels]
    return findings
