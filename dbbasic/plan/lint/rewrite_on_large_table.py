"""A statement rewrites or reads a whole table of more than 100,000 rows under an ACCESS EXCLUSIVE lock.

Problem: while the statement holds the table (a new column with a volatile default, a type change, a
constraint checked without NOT VALID, SET NOT NULL, `VACUUM FULL`, `CLUSTER`), every read and write of
it waits, for a time that grows with the table and its indexes. The rules for each statement say what
it does; this one says it on a table known to be large, so that a reviewer weighs the size, and it
also catches statements no other rule names. Not a Squawk rule. Table sizes are the database's own
estimates (`pg_class.reltuples`), given to the linter when a target is known (`lint_plan(...,
table_rows=...)`); for a table of unknown size, and for tables created in the same plan, the rule
stays silent.

Solution: do the change in steps that never hold the table: add the column without a default and fill
it in a batched step, add constraints NOT VALID and validate them in a later step, build indexes
CONCURRENTLY, prove NOT NULL with a validated CHECK first. When the table must be rewritten, do it in
a maintenance window and silence the rule for the migration with that reason.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "rewrite-on-large-table"
LEVEL: Level = "error"
LARGE_TABLE_ROWS = 100_000
"""More rows than this make a statement that holds the whole table an error."""
_PATH = r'(?P<name>(?:"(?:[^"]|"")+"|[\w$]+)(?:\.(?:"(?:[^"]|"")+"|[\w$]+))*)'
_VACUUM = re.compile(r"\s*VACUUM\s+(?:\((?P<options>[^)]*)\)|(?P<words>(?:(?:FULL|VERBOSE|ANALYZE|FREEZE)\s+)+))\s*"
                     + _PATH, re.I)
_CLUSTER = re.compile(r"\s*CLUSTER\s+(?:VERBOSE\s+)?" + _PATH, re.I)
_NAME = re.compile(r'"(?:[^"]|"")+"|[\w$]+')


def check(step: Step, context: LintContext) -> list[Finding]:
    statements = _sql.ddl_statements(step)
    if not context.table_rows or not statements:
        return []
    findings = []
    for statement, effect in zip(statements, context.effects(statements), strict=True):
        altered = _sql.alter_table(context, statement)
        tables: tuple[str, ...]
        if altered is not None:
            tables = (altered[0],) if effect.lock == "exclusive" and not _proven(context, *altered) else ()
        else:
            tables = _maintenance_table(statement)
        for table in tables:
            rows = context.table_rows.get(table, 0)
            if rows > LARGE_TABLE_ROWS and table not in context.created_tables:
                findings.append(Finding(
                    step.id, CODE, LEVEL, f"{_sql.short(statement)} holds `{table}` (about {rows:,} rows) while it "
                    f"rewrites or reads the whole table ({context.dialect.LOCKS['exclusive']})",
                    "split it into steps that never hold the table (batched fills, NOT VALID then VALIDATE, "
                    "CONCURRENTLY), or run it in a maintenance window and silence the rule with that reason"))
    return findings


def _proven(context: LintContext, table: str, actions: list[exp.Expression]) -> bool:
    """Whether the statement only sets NOT NULL where a validated CHECK proves it (no scan on PostgreSQL 12+)
    besides catalog changes: sql/analyze.py counts every SET NOT NULL as a scan."""
    proven = [a for a in actions if isinstance(a, exp.AlterColumn) and a.args.get("allow_null") is False
              and (table, a.name) in context.proven_not_null]
    brief = [a for a in actions if isinstance(a, (exp.Drop, exp.RenameColumn, exp.AlterRename))
             or (isinstance(a, exp.AlterColumn) and (a.args.get("default") is not None or a.args.get("drop")))]
    return bool(proven) and len(proven) + len(brief) == len(actions)


def _maintenance_table(statement: str) -> tuple[str, ...]:
    """The table of a `VACUUM FULL t` or `CLUSTER t`, which rewrite it; sqlglot parses neither."""
    match = _VACUUM.match(statement)
    if match and "FULL" in (match["options"] or match["words"] or "").upper():
        return (_last_name(match["name"]),)
    match = _CLUSTER.match(statement)
    return (_last_name(match["name"]),) if match else ()


def _last_name(path: str) -> str:
    last: str = _NAME.findall(path)[-1]
    return last[1:-1].replace('""', '"') if last.startswith('"') else last.lower()
