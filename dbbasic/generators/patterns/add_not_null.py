"""Make a column NOT NULL without scanning the table under an exclusive lock on PostgreSQL.

    migration:
      task: "Every todo has a title"
      pattern: add_not_null
      model: todos
      field: title

On PostgreSQL (the data model's recipe): `CHECK (title IS NOT NULL) NOT VALID` (a brief lock; new rows
are checked at once), `VALIDATE CONSTRAINT` in a step of its own (it scans while reads and writes go on),
then `SET NOT NULL`, which PostgreSQL 12+ proves from the valid check instead of scanning, and the check
is dropped. SQLite rebuilds the table. Fill the NULLs first (an explicit migration): a row with NULL
stops the plan at the validation (SQLite: at the rebuild's copy). Rolled back, the column allows NULL.
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.generators.patterns._common import Parameters, edit_table
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

NAME = "add_not_null"
VERSION = 1
USAGE = "`pattern: add_not_null`, `model: TABLE`, `field: FIELD`"


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=())
    table = params.table(model)
    field = params.column(table)
    if field.required or field.name in table.primary_key:
        params.fail("pattern-parameter", f"field '{table.name}.{field.name}' is NOT NULL already", f"usage: {USAGE}")
    return edit_table(model, dialect, table, replace(table, fields=tuple(replace(f, required=True) if f is field
                                                                         else f for f in table.fields)))
