"""SET NOT NULL on a column of an existing PostgreSQL table scans it under an ACCESS EXCLUSIVE lock.

Problem: `ALTER COLUMN ... SET NOT NULL` reads every row to prove there is no NULL, holding an ACCESS
EXCLUSIVE lock the whole time: reads and writes wait, for minutes on a large table. PostgreSQL 12+
skips the scan when a valid `CHECK (column IS NOT NULL)` constraint already proves it; the rule stays
silent when this plan adds such a check valid, or adds it `NOT VALID` and validates it. Squawk's rule of
the same name (which newer Squawk versions only apply before PostgreSQL 11). Tables created in the same
plan are empty, so the rule stays silent for them; it is silent on SQLite.

Solution: three steps. Add `CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID` (new rows are checked at
once, a brief lock); `VALIDATE CONSTRAINT c` in a step of its own (it scans while reads and writes go
on); then `SET NOT NULL`, which uses the check instead of a scan, and drop the check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "adding-not-nullable-field"
LEVEL: Level = "error"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    for _, table, action in _sql.altered(step, context):
        if (isinstance(action, exp.AlterColumn) and action.args.get("allow_null") is False
                and (table, action.name) not in context.proven_not_null):
            findings.append(Finding(
                step.id, CODE, LEVEL, f"SET NOT NULL on `{table}.{action.name}` scans the whole table under an "
                "ACCESS EXCLUSIVE lock: reads and writes wait until it is done",
                f"add CHECK ({action.name} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later step, then "
                "SET NOT NULL: PostgreSQL 12+ uses the valid check instead of scanning"))
    return findings
