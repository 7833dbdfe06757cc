"""ALTER TABLE ... RENAME COLUMN on an existing table.

Problem: the column has its new name the moment the step commits. Every client still running code
that uses the old name (the application servers not yet deployed, workers, reports, replicas of the
schema in other services) fails on its next query. Squawk's rule of the same name; dbbasic reports it
on SQLite too, where clients break the same way. Renaming a column of a table created in the same
plan breaks nobody, so the rule stays silent for those.

Solution: expand and contract: add the column under its new name, write to both and fill it in a
batched step, move the readers to it, and drop the old column in a later migration. When every
client is deployed together with the migration, silence the rule for it with that reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "renaming-column"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    findings = []
    for _, table, action in _sql.altered(step, context):
        if isinstance(action, exp.RenameColumn):
            old, new = action.this.name, action.args["to"].name
            findings.append(Finding(
                step.id, CODE, LEVEL, f"renaming `{table}.{old}` to `{new}` breaks every client still using "
                f"`{old}` the moment the step commits", f"add `{new}`, fill it and write both, move the "
                f"readers, then drop `{old}` in a later migration"))
    return findings
