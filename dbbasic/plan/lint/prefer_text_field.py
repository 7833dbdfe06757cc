"""A PostgreSQL column declared as varchar(n).

Problem: the length limit is part of the type, so changing it later is a type change: it takes an
ACCESS EXCLUSIVE lock, and shrinking the limit rewrites the table. A limit kept in a CHECK constraint
is replaced without either (add the new check NOT VALID, validate it, drop the old one). Squawk's rule
of the same name. A style rule: it applies to new tables too. It is silent on SQLite, which does not
enforce varchar lengths.

Solution: declare the column `text` with `CHECK (char_length(column) <= n)`; the data model's
`string(n)` compiles to exactly that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "prefer-text-field"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    return [Finding(step.id, CODE, LEVEL, f"`{column}` is {name}: changing its limit later is a "
                    "type change, under an ACCESS EXCLUSIVE lock", f"use text with CHECK (char_length({column}) <= n) "
                    "(`string(n)` in the data model)")
            for statement in _sql.ddl_statements(step) for column, name in _sql.column_types(context, statement)
            if name.startswith("varchar(")]
