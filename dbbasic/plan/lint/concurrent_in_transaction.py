"""A statement that cannot run inside a transaction is in a transactional step.

Problem: `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY` and `VACUUM` fail with "cannot run
inside a transaction block" on PostgreSQL, so the step fails every time it is applied.

Squawk's `ban-concurrent-index-creation-in-transaction`; dbbasic also reports `VACUUM`, `REINDEX ...
CONCURRENTLY` and `CREATE/DROP DATABASE`.

Solution: put the statement in a step of its own with `transactional: false`; the runner then runs
it outside a transaction. Such a step can stop half-way: an interrupted `CREATE INDEX CONCURRENTLY`
leaves an INVALID index behind; the runner drops it and builds the index again on the next apply
(which is why the index needs a name).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dbbasic.plan.model import DdlStep, Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "concurrent-in-transaction"
LEVEL: Level = "error"
_NO_TRANSACTION = re.compile(r"^\s*(VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE|REINDEX\s+.*CONCURRENTLY)", re.I)


def check(step: Step, context: LintContext) -> list[Finding]:
    if not isinstance(step, DdlStep):
        return []
    flagged = [s for s, e in zip(step.up, context.effects(step.up), strict=True)
               if e.concurrent or _NO_TRANSACTION.match(s)]
    return [Finding(step.id, CODE, LEVEL, f"`{s[:60]}` cannot run inside a transaction",
                    "move it to a step of its own with `transactional: false`") for s in flagged]
