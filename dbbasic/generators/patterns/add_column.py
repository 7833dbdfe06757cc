"""Add a column to a table, compiled as the same change of `data:` would be.

    migration:
      task: "Add a nickname to users"
      pattern: add_column
      model: users
      options: {column: nickname, type: string(40), index: true}   # the rest is the field as `data:` writes it

Steps (the data model's recipe): on PostgreSQL the bare column first (no rewrite, a brief lock), then
its CHECKs and reference `NOT VALID` and validated, its unique key and index built CONCURRENTLY; on
SQLite an ADD COLUMN, or the table rebuild when SQLite cannot add it so (a unique or NOT NULL column, an
expression default). A required column needs a default: the rows already there have no value for it.
Rolled back, the column and what it holds go.
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.generators.patterns._common import Parameters, edit_table
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

NAME = "add_column"
VERSION = 1
USAGE = ("`pattern: add_column`, `model: TABLE`, `options: {column: NAME, type: TYPE}` and, as a field of "
         "`data:` has them, optional `required`, `default`, `unique`, `index`, `values`, `ref`, `on_delete`")
FIELD_KEYS = ("type", "required", "unique", "index", "default", "values", "ref", "on_delete", "description")
"""The options that describe the column, as the keys of a field in `data:`."""


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=(), options=("column", *FIELD_KEYS))
    table = params.table(model)
    params.required("column")
    name = params.name(dialect, "column", "")
    params.new_column(table, name)
    spec = {key: value for key, value in params.options.items() if key != "column"}
    field = params.field_spec(model, name, spec, f"column '{name}'")
    if field.required and field.default is None:
        params.fail("new-required-field", f"column '{table.name}.{name}' is required and has no default: the rows "
                    "already in the table have no value for it", "give it a `default:`, or add it optional, fill "
                    f"it, then use pattern add_not_null; usage: {USAGE}")
    return edit_table(model, dialect, table, replace(table, fields=(*table.fields, field)))
