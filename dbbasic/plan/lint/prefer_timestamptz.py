"""A PostgreSQL column declared as timestamp (without time zone).

Problem: `timestamp` stores the clock reading and drops the UTC offset, so `2026-11-22 10:00+01` and
`2026-11-22 10:00-06` are stored as the same value although they are seven hours apart; what a value
means depends on the session that wrote it. `timestamptz` stores an instant (in UTC) and shows it in
the reader's time zone. Squawk's `prefer-timestamp-tz`. A style rule: it applies to new tables too. It
is silent on SQLite, which has no timestamp type.

Solution: declare the column `timestamptz`; the data model's `type: timestamp` already compiles to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "prefer-timestamptz"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    return [Finding(step.id, CODE, LEVEL, f"`{column}` is timestamp without time zone: it drops the UTC offset, so "
                    "values written from different time zones cannot be compared", "use timestamptz")
            for statement in _sql.ddl_statements(step) for column, name in _sql.column_types(context, statement)
            if name.split("(")[0] == "timestamp"]
