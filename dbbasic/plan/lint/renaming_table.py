"""ALTER TABLE ... RENAME TO on an existing table.

Problem: the table has its new name the moment the step commits. Every client still running code
that uses the old name fails on its next query. Squawk's rule of the same name; dbbasic reports it on
SQLite too, where clients break the same way. Renaming a table created in the same plan (SQLite's
table rebuild creates one under a temporary name) breaks nobody, so the rule stays silent for those.

Solution: rename the table and, in the same step, create a view under the old name
(`CREATE VIEW old AS SELECT * FROM new`: PostgreSQL can write through such a view), move the clients
to the new name, then drop the view in a later migration. When every client is deployed together
with the migration, silence the rule for it with that reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "renaming-table"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    findings = []
    for _, old, action in _sql.altered(step, context):
        if isinstance(action, exp.AlterRename):
            new = action.this.name
            findings.append(Finding(
                step.id, CODE, LEVEL, f"renaming `{old}` to `{new}` breaks every client still using `{old}` the "
                "moment the step commits", f"leave a view named `{old}` over `{new}` in the same step, move the "
                "clients, then drop the view in a later migration"))
    return findings
