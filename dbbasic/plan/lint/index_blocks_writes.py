"""CREATE INDEX without CONCURRENTLY on an existing PostgreSQL table.

Problem: a plain `CREATE INDEX` takes a SHARE lock: every INSERT, UPDATE and DELETE on the table
waits until the whole index is built, minutes on a large table.

Solution: `CREATE INDEX CONCURRENTLY` in a step with `transactional: false`; it takes longer but
lets writes go on. Tables created in the same plan are empty, so the rule stays silent for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.model import DdlStep, Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "index-blocks-writes"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    if not isinstance(step, DdlStep) or context.dialect.name != "postgres":
        return []
    return [
        Finding(step.id, CODE, LEVEL, f"building this index blocks writes to {', '.join(effect.tables)} "
                "until it is done", "use CREATE INDEX CONCURRENTLY in a step with `transactional: false`")
        for effect in context.effects(step.up)
        if effect.lock == "share" and not set(effect.tables) <= context.created_tables
    ]
