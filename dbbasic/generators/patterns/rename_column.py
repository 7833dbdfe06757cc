"""Rename a column, compiled as a `renamed_from:` in `data:` would be.

    migration:
      task: "Rename users.nick to handle"
      pattern: rename_column
      model: users
      field: nick
      options: {to: handle}

One step, `ALTER TABLE ... RENAME COLUMN` on both databases: a catalog change, no data moves (a brief
ACCESS EXCLUSIVE lock on PostgreSQL). Keys, indexes and constraints follow the column; their names stay
as they were. Every client that still uses the old name breaks when the step commits (the linter says
so): deploy code that reads both names, or rename in the same release as the code. Rolled back, the
column gets its old name back.
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.generators import model_diff
from dbbasic.generators.patterns._common import Parameters, edit_table
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

NAME = "rename_column"
VERSION = 1
USAGE = "`pattern: rename_column`, `model: TABLE`, `field: FIELD`, `options: {to: NEW_NAME}`"


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=("to",))
    table = params.table(model)
    field = params.column(table)
    params.required("to")
    to = params.name(dialect, "to", "")
    params.new_column(table, to)

    renamed = model_diff.rename_columns(table, {field.name: to})
    after = replace(renamed, fields=tuple(replace(f, renamed_from=field.name) if f.name == to else f
                                          for f in renamed.fields))
    return edit_table(model, dialect, table, after)
