"""A step destroys data: DROP TABLE, DROP COLUMN, TRUNCATE, DELETE without WHERE.

Problem: the rows are gone once the step commits; a `down` can recreate the table or column but not
what was in it. Applications still reading the column fail at once.

Solution: stop using the table or column in the application first and ship that; then drop it in a
migration of its own with `allow_destructive: true`, which turns this error into a warning that
`plan.md` still shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.model import BatchedStep, DdlStep, Finding, Level, OnlineDdlStep, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "destructive-statement"
LEVEL: Level = "error"


def check(step: Step, context: LintContext) -> list[Finding]:
    if not isinstance(step, (DdlStep, OnlineDdlStep, BatchedStep)):
        return []
    level: Level = "warning" if context.allow_destructive else LEVEL
    return [
        Finding(step.id, CODE, level, f"this step {effect.destructive}: the data cannot be brought back",
                "ship the code change that stops using it first; then set `allow_destructive: true` "
                "on the migration")
        for effect in context.effects(step.up) if effect.destructive
    ]
