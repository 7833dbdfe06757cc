"""Make a column reference another table's key, checked without blocking writes on PostgreSQL.

    migration:
      task: "todos.owner_id refers to users"
      pattern: add_foreign_key
      model: todos
      field: owner_id
      options: {ref: users, on_delete: cascade}   # on_delete optional: cascade, restrict, set_null, ...

On PostgreSQL (the data model's recipe) the constraint is added `NOT VALID` (a brief lock; new rows are
checked at once), then validated in a step of its own while reads and writes go on; a column whose type
is not that of the key changes type first (online). SQLite checks foreign keys only as part of a table's
definition, so the table is rebuilt (and `PRAGMA foreign_key_check` must pass before it commits). A row
that refers to no row of the target stops the plan at the validation. Rolled back, the constraint goes.
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.generators.patterns._common import Parameters, edit_table
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

NAME = "add_foreign_key"
VERSION = 1
USAGE = ("`pattern: add_foreign_key`, `model: TABLE`, `field: FIELD`, `options: {ref: TABLE}` and optional "
         "`on_delete: cascade|restrict|set_null|set_default|no_action`")


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=("ref", "on_delete"))
    table = params.table(model)
    field = params.column(table)
    if field.ref:
        params.fail("field-type", f"field '{table.name}.{field.name}' refers to {field.ref} already",
                    f"usage: {USAGE}")
    params.required("ref")
    spec = {**params.options, "required": field.required}  # set_null on a required field is an error
    ref = params.field_spec(model, field.name, spec, "the reference")
    after = replace(field, type=ref.type, ref=ref.ref, on_delete=ref.on_delete)
    return edit_table(model, dialect, table, replace(table, fields=tuple(after if f is field else f
                                                                         for f in table.fields)))
