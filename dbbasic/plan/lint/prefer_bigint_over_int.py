"""A PostgreSQL column declared as a 32-bit integer (integer, int4, serial).

Problem: an integer column fails with "integer out of range" past 2,147,483,647. Ids and counters get
there sooner than anyone plans for, and widening the column then is a type change that rewrites the
table under an ACCESS EXCLUSIVE lock (`changing-column-type`). bigint costs 4 more bytes a row.
Squawk's rule of the same name (its `prefer-bigint-over-smallint` is not ported). A style rule: it
applies to new tables too. It is silent on SQLite, whose INTEGER is 64-bit.

Solution: declare the column `bigint` (`bigserial` or `bigint GENERATED ... AS IDENTITY` for a key);
in the data model, `type: bigint` (an `id` field already is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "prefer-bigint-over-int"
LEVEL: Level = "warning"
_NAMES = {"int": "integer", "serial": "serial", "serial4": "serial4"}
"""sqlglot's name of each 32-bit type (integer, int and int4 are all "int") and how a finding names it."""


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    return [Finding(step.id, CODE, LEVEL, f"`{column}` is a 32-bit integer ({_NAMES[name]}): it fails "
                    "past 2,147,483,647, and widening it later rewrites the table",
                    "use bigint (`type: bigint` in the data model)")
            for statement in _sql.ddl_statements(step) for column, name in _sql.column_types(context, statement)
            if name in _NAMES]
