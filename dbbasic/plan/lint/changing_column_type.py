"""ALTER COLUMN ... TYPE on an existing PostgreSQL table.

Problem: changing a column's type rewrites the table and rebuilds its indexes under an ACCESS
EXCLUSIVE lock: reads and writes wait until it is done, minutes on a large table. Clients that read
the column may also break on the new type. Squawk's rule of the same name. A few changes (varchar(n)
to text or to a longer varchar) need no rewrite, but dbbasic does not know the old type here, so it
reports them too. Tables created in the same plan are empty, so the rule stays silent for them; it is
silent on SQLite (which has no ALTER COLUMN).

Solution: add a column of the new type, fill it in a batched step (and keep it in step with the old
one from the application or a trigger), move the readers to it, then drop the old column in a later
migration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "changing-column-type"
LEVEL: Level = "error"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    for _, table, action in _sql.altered(step, context):
        dtype = action.args.get("dtype") if isinstance(action, exp.AlterColumn) else None
        if dtype is not None:
            findings.append(Finding(
                step.id, CODE, LEVEL, f"changing `{table}.{action.name}` to {_sql.type_name(dtype)} rewrites "
                "the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it is "
                "done", "add a column of the new type, fill it in a batched step, move the readers to it, then "
                "drop the old column in a later migration"))
    return findings
