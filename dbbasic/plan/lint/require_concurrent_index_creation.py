"""CREATE INDEX without CONCURRENTLY on an existing PostgreSQL table.

Problem: a plain `CREATE INDEX` takes a SHARE lock: every INSERT, UPDATE and DELETE on the table
waits until the whole index is built, minutes on a large table; reads go on, so it is a warning.
Squawk's rule of the same name; it was dbbasic's `index-blocks-writes`. Tables created in the same plan
are empty, so the rule stays silent for them; it is silent on SQLite, which has no concurrent build.

Solution: `CREATE INDEX CONCURRENTLY` in a step with `transactional: false`; it takes longer but lets
writes go on. The runner drops an index that an interrupted concurrent build left INVALID and builds
it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "require-concurrent-index-creation"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    statements = _sql.ddl_statements(step)
    if not statements or context.dialect.name != "postgres":
        return []
    return [
        Finding(step.id, CODE, LEVEL, f"building this index blocks writes to {', '.join(effect.tables)} "
                "until it is done", "use CREATE INDEX CONCURRENTLY in a step with `transactional: false`")
        for effect in context.effects(statements)
        if effect.lock == "share" and not set(effect.tables) <= context.created_tables
    ]
