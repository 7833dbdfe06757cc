"""A statement of a `transactional: false` PostgreSQL step that fails when it runs a second time.

Problem: an online_ddl step runs outside a transaction, one statement at a time, and records its
progress after each. When it is interrupted after a statement but before its progress is recorded,
the next `apply` runs that statement again: `CREATE TABLE t` then fails because `t` exists, and the
step cannot go on without someone's hand. Squawk's rule of the same name, limited to what can run
twice: statements in a transactional step (Squawk's "missing transaction") are rolled back whole, so
they are never reported. A named `CREATE INDEX CONCURRENTLY` is not reported either: the runner skips
an index that exists and is valid, and drops one an interrupted build left INVALID before building it
again. It is silent on SQLite.

Solution: `IF NOT EXISTS` on what the statement creates (CREATE TABLE/INDEX, ADD COLUMN), `IF EXISTS`
on what it drops (DROP ..., DROP COLUMN, DROP CONSTRAINT), a name on every concurrent index; a
statement with no such form (`ADD CONSTRAINT`, `ALTER COLUMN ... TYPE`, a rename) belongs in a
transactional step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, OnlineDdlStep, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "prefer-robust-stmts"
LEVEL: Level = "warning"
_AGAIN = "when the step is run again after an interruption"


def check(step: Step, context: LintContext) -> list[Finding]:
    if not isinstance(step, OnlineDdlStep) or context.dialect.name != "postgres":
        return []
    findings = []
    dropped: set[str] = set()  # constraints dropped IF EXISTS before: adding them again is safe
    for statement in step.up:
        problem = _problem(context, statement, dropped)
        if problem is not None:
            findings.append(Finding(step.id, CODE, LEVEL, f"{_sql.short(statement)} {problem[0]}", problem[1]))
    return findings


def _problem(context: LintContext, statement: str, dropped: set[str]) -> tuple[str, str] | None:
    """(what goes wrong, what to do) for a statement that cannot run twice, or None."""
    first, second = _sql.head(statement)
    if first == "CREATE":
        opening = " ".join(_sql.words(context, statement)[:8])
        if opening.startswith("CREATE OR REPLACE") or "IF NOT EXISTS" in opening:
            return None
        tree = context.dialect.parse(statement)
        if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index) and tree.args.get("concurrently"):
            if tree.this.args.get("this") is not None:
                return None  # the runner makes a named concurrent build safe to run again
            return (f"builds an index with no name: {_AGAIN} it builds a second one", "name the index")
        return (f"has no IF NOT EXISTS: {_AGAIN} it fails because the object exists", "add IF NOT EXISTS")
    if first == "DROP":
        if "IF EXISTS" in " ".join(_sql.words(context, statement)[:6]):
            return None
        return (f"has no IF EXISTS: {_AGAIN} it fails because the object is gone", "add IF EXISTS")
    if (first, second) != ("ALTER", "TABLE") or _sql.validated(context, statement) is not None:
        return None  # VALIDATE CONSTRAINT of a valid constraint does nothing
    found = _sql.alter_table(context, statement)
    if found is None:
        return (f"cannot be made safe to run twice: {_AGAIN} it may fail", "move it to a transactional step")
    for action in found[1]:
        if isinstance(action, exp.Drop):
            names = {t.name for t in action.args.get("tables") or []}
            if not action.args.get("exists"):
                return (f"has no IF EXISTS: {_AGAIN} it fails because the {str(action.args.get('kind')).lower()} "
                        "is gone", "add IF EXISTS")
            dropped |= names
        elif isinstance(action, exp.ColumnDef):
            if not action.args.get("exists"):
                return (f"has no IF NOT EXISTS: {_AGAIN} it fails because the column exists",
                        "add IF NOT EXISTS after ADD COLUMN")
        elif not all(name in dropped for name, _ in _sql.constraints(action)) or not isinstance(
                action, exp.AddConstraint):
            return (f"cannot be made safe to run twice: {_AGAIN} it fails", "move it to a transactional step")
    return None
