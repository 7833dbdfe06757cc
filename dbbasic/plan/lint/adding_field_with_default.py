"""ADD COLUMN with a default that is not a constant rewrites an existing PostgreSQL table.

Problem: since PostgreSQL 11 a constant default (a literal, `now()`, `CURRENT_DATE`) is stored once in
the catalog and `ADD COLUMN` is instant. A volatile default (`gen_random_uuid()`, `random()`,
`clock_timestamp()`, a sequence), any function dbbasic does not know to be stable, a `serial` or
identity column and a `GENERATED ... STORED` column are computed for every existing row instead: the
whole table is rewritten under an ACCESS EXCLUSIVE lock, and reads and writes wait until it is done.
Squawk's rule of the same name; dbbasic also counts serial and identity columns, which fill every row
too. A serial primary key is reported once, by `adding-serial-primary-key-field`. Tables created in
the same plan are empty, so the rule stays silent for them; it is silent on SQLite.

Solution: add the column without a default (nullable), give it its default for new rows with
`ALTER TABLE ... ALTER COLUMN ... SET DEFAULT ...` in the same step (a catalog change), then fill the
existing rows in a batched step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "adding-field-with-default"
LEVEL: Level = "error"
HELP = ("add the column without a default, SET DEFAULT for new rows in the same step, and fill the existing "
        "rows in a batched step")


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    for _, table, action in _sql.altered(step, context):
        what = _rewrites(action) if isinstance(action, exp.ColumnDef) else ""
        if what:
            findings.append(Finding(step.id, CODE, LEVEL, f"adding `{action.name}` {what} rewrites `{table}` "
                                    "under an ACCESS EXCLUSIVE lock: reads and writes wait until every row "
                                    "is written", HELP))
    return findings


def _rewrites(column: exp.ColumnDef) -> str:
    """Why adding this column fills every row ("with the volatile default `random()`"), or ""."""
    kinds = _sql.column_constraints(column)
    if any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds):
        return ""  # adding-serial-primary-key-field says it, with the index it builds
    dtype = column.args.get("kind")
    if dtype is not None and _sql.is_serial(dtype):
        return f"as {_sql.type_name(dtype)} (each row gets the next value of a sequence)"
    for kind in kinds:
        if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            return "as an identity column (each row gets the next value of a sequence)"
        if isinstance(kind, exp.ComputedColumnConstraint):
            return "as a stored generated column"
        if isinstance(kind, exp.DefaultColumnConstraint) and not _sql.is_constant(kind.this):
            return f"with the non-constant default `{_sql.expression(kind.this)}`"
    return ""
