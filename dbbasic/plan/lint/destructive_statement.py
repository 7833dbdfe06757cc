"""A step destroys data: DROP TABLE, DROP COLUMN, TRUNCATE, DELETE without WHERE.

Problem: the rows are gone once the step commits; a `down` can recreate the table or column but not
what was in it. Applications still reading the column fail at once.

This one rule is Squawk's `ban-drop-table` and `ban-drop-column` (whose concern is the clients that
break), plus TRUNCATE and DELETE without WHERE, which Squawk does not report. dbbasic keeps them as one
code so that a statement gets one finding, and so that `allow_destructive: true`, the confirmation a
spec gives, acts on all of them at once. `DROP CONSTRAINT` drops no data and is not reported. The rule
applies on SQLite too.

Solution: stop using the table or column in the application first and ship that; then drop it in a
migration of its own with `allow_destructive: true`, which turns this error into a warning that
`plan.md` still shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
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
        Finding(step.id, CODE, level, f"this step {what}: the data cannot be brought back",
                "ship the code change that stops using it first; then set `allow_destructive: true` "
                "on the migration")
        for statement, effect in zip(step.up, context.effects(step.up), strict=True)
        if effect.destructive and (what := _destroys(context, statement, effect.destructive))
    ]


def _destroys(context: LintContext, statement: str, said: str) -> str:
    """What the statement destroys. For an ALTER TABLE, only its dropped columns: sql/analyze.py also
    counts `DROP CONSTRAINT` as a column drop."""
    found = _sql.alter_table(context, statement)
    if found is None:
        return said
    drops = [a for a in found[1] if isinstance(a, exp.Drop) and str(a.args.get("kind") or "COLUMN").upper() == "COLUMN"]
    columns = [c.name for action in drops for c in action.args.get("tables") or []]
    return f"drops column {', '.join(columns)} of {found[0]}" if columns else ""
