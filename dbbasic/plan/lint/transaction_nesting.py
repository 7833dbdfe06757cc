"""BEGIN, COMMIT, ROLLBACK or SAVEPOINT inside a step.

Problem: the runner owns transactions: it runs each step in one, together with the step's history
row (a `transactional: false` step runs in none). A COMMIT inside the step commits half of it
without its history row, a ROLLBACK discards the statements before it while the runner goes on, and
a BEGIN nests a transaction PostgreSQL does not have. Spec validation already rejects these
statements, so this rule guards plans written by other means. Squawk's rule of the same name; the
rule applies on SQLite too.

Solution: remove the statement. Split work that must commit separately into steps of its own; mark a
step that must run outside a transaction `transactional: false`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "transaction-nesting"
LEVEL: Level = "error"
_CONTROL = frozenset({"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"})


def check(step: Step, context: LintContext) -> list[Finding]:
    return [Finding(step.id, CODE, LEVEL, f"{_sql.short(statement)} controls a transaction inside a step: the runner "
                    "owns the step's transaction, so part of the step would commit or roll back apart from its "
                    "history row", "remove it; split the work into steps, or mark the step `transactional: false`")
            for statement in _sql.all_statements(step) if _control(statement)]


def _control(statement: str) -> bool:
    first, second = _sql.head(statement)
    if first == "START":
        return second == "TRANSACTION"
    if first == "END":
        return second in ("", "TRANSACTION", "WORK")
    if first == "BEGIN":  # not PL/pgSQL: a statement never starts with a block
        return second in ("", "TRANSACTION", "WORK", "ISOLATION", "READ", "DEFERRED", "IMMEDIATE", "EXCLUSIVE")
    return first in _CONTROL
