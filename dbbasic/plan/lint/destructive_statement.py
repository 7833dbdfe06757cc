"""A step destroys data: DROP TABLE, DROP COLUMN, TRUNCATE, DELETE without WHERE.

Problem: the rows are gone once the step commits; a `down` can recreate the table or column but not
what was in it. Applications still reading the column fail at once.

This one rule is Squawk's `ban-drop-table` and `ban-drop-column` (whose concern is the clients that
break), plus TRUNCATE and DELETE without WHERE, which Squawk does not report. dbbasic keeps them as one
code so that a statement gets one finding, and so that `allow_destructive: true`, the confirmation a
spec gives, acts on all of them at once. `DROP CONSTRAINT` drops no data and is not reported. The rule
applies on SQLite too. Two drops keep every value and are not reported either: SQLite's table rebuild
(`DdlStep.rebuild`: a DROP TABLE of a table whose rows the step copied; the columns it did not copy,
which the step's `down` recreates, are reported) and a column swap (a DROP COLUMN of a column that
another column of the same table is renamed to in the same step, as the online type change does after
its check proved every value converts).

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
        if effect.destructive and (what := _destroys(context, step, statement, effect.destructive))
    ]


def _destroys(context: LintContext, step: DdlStep | OnlineDdlStep | BatchedStep, statement: str, said: str) -> str:
    """What the statement destroys. For an ALTER TABLE, only its dropped columns (sql/analyze.py also counts
    `DROP CONSTRAINT` as a column drop), less those the step swaps in; for a rebuild, what it does not copy."""
    found = _sql.alter_table(context, statement)
    if found is None:
        if isinstance(step, DdlStep) and step.rebuild:
            return _rebuild_loses(context, step, statement) if step.down is not None else said
        return said
    table, actions = found
    drops = [a for a in actions if isinstance(a, exp.Drop) and str(a.args.get("kind") or "COLUMN").upper() == "COLUMN"]
    swapped = _renamed_to(context, step, table)
    columns = [c.name for action in drops for c in action.args.get("tables") or [] if c.name not in swapped]
    return f"drops column {', '.join(columns)} of {table}" if columns else ""


def _renamed_to(context: LintContext, step: DdlStep | OnlineDdlStep | BatchedStep, table: str) -> set[str]:
    """Columns of `table` that another column is renamed to in the step."""
    return {action.args["to"].name for statement in step.up if (found := _sql.alter_table(context, statement))
            and found[0] == table for action in found[1] if isinstance(action, exp.RenameColumn)}


def _rebuild_loses(context: LintContext, step: DdlStep, statement: str) -> str:
    """The DROP TABLE of a rebuild loses the columns of the old table (those its `down` creates again) that
    the step's INSERT ... SELECT did not read."""
    tree = context.dialect.parse(statement)
    tables = [t.name for t in tree.args.get("tables") or []] if isinstance(tree, exp.Drop) else []
    if len(tables) != 1 or step.down is None:
        return f"drops table {', '.join(tables)}" if tables else ""
    read: set[str] = set()
    for up in step.up:
        insert = context.dialect.parse(up) if _sql.head(up)[0] == "INSERT" else None
        select = insert.expression if isinstance(insert, exp.Insert) else None
        source = select.find(exp.From) if select is not None else None
        if select is not None and source is not None and source.this.name == tables[0]:
            read |= {c.name for c in select.find_all(exp.Column)}
    had = [name for down in step.down if _sql.head(down) == ("CREATE", "TABLE")
           for name in _sql.created_column_names(context, down)]
    lost = [name for name in had if name not in read]
    return f"drops column {', '.join(lost)} of {tables[0]} (the rebuild does not copy it)" if lost else ""
