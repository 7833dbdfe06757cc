"""DROP INDEX without CONCURRENTLY on PostgreSQL.

Problem: a plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table. It first waits
for every query already running on the table, and every query that arrives meanwhile queues behind
it: a long report turns a quick drop into an outage of the table. The runner's lock timeout bounds
that wait (the step is retried later), which is why this is a warning. Squawk's rule of the same
name. It is silent on SQLite.

Solution: `DROP INDEX CONCURRENTLY IF EXISTS name` in a step with `transactional: false`: it waits for
the running queries without blocking new ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "require-concurrent-index-deletion"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    for statement in _sql.ddl_statements(step):
        tree = context.dialect.parse(statement) if _sql.head(statement) == ("DROP", "INDEX") else None
        if (isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() == "INDEX"
                and not tree.args.get("concurrently")):
            names = ", ".join(t.name for t in tree.args.get("tables") or [])
            findings.append(Finding(
                step.id, CODE, LEVEL, f"DROP INDEX {names} takes an ACCESS EXCLUSIVE lock on its table: it waits "
                "for every running query there, and new ones queue behind it",
                "use DROP INDEX CONCURRENTLY in a step with `transactional: false`"))
    return findings
