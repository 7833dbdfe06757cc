"""Change the type of a column, online on PostgreSQL, compiled as the same change of `data:` would be.

    migration:
      task: "Make readings.value a bigint"
      pattern: change_type
      model: readings
      field: value
      options: {type: bigint}          # a type of `data:`; an enum also says `values: [...]`

On PostgreSQL (the data model's recipe): a nullable shadow column of the new type; a trigger that keeps
it equal to the column on every write; a batched backfill over the primary key; a check that every row's
value is in the shadow and converts back to itself (so nothing is lost); NOT NULL proven by a validated
CHECK and the indexes and unique keys built CONCURRENTLY on the shadow; then one short transaction drops
the trigger and the old column and gives the shadow its name, NOT NULL, default, keys and indexes. The
column moves to the end of the table. Rolled back, an `ALTER COLUMN ... TYPE` back (a rewrite) restores
the old type and the values, those written since included. On SQLite the table is rebuilt.
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.generators.patterns._common import Parameters, edit_table
from dbbasic.generators.steps import batch_key
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

NAME = "change_type"
VERSION = 1
USAGE = ("`pattern: change_type`, `model: TABLE`, `field: FIELD`, `options: {type: TYPE}` (a type of `data:`; "
         "an enum also gives `values: [...]`)")


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=("type", "values"))
    table = params.table(model)
    field = params.column(table)
    spec = {"type": params.required("type"), **({"values": params.options["values"]} if "values" in params.options
                                                else {})}
    new = params.field_spec(model, field.name, spec, "option `type`")
    if field.ref:
        params.fail("field-type", f"field '{table.name}.{field.name}' is a reference to {field.ref}: it has the "
                    "type of the key it refers to", f"change the type of that key instead; usage: {USAGE}")
    if field.name in table.primary_key:
        params.fail("pattern-key", f"'{table.name}.{field.name}' is in the primary key, whose type cannot change "
                    "online", "write an explicit migration (`ALTER COLUMN ... TYPE` rewrites the table)")
    if batch_key(dialect, table, model) is None:
        params.fail("pattern-key", f"'{table.name}' has no single-column integer, text or uuid key for the backfill "
                    "to walk", "write an explicit migration (`ALTER COLUMN ... TYPE` rewrites the table)")
    if (new.type, new.values) == (field.type, field.values):
        params.fail("pattern-parameter", f"field '{table.name}.{field.name}' is of type {field.type} already",
                    f"usage: {USAGE}")
    after = replace(field, type=new.type, values=new.values)
    return edit_table(model, dialect, table, replace(table, fields=tuple(after if f is field else f
                                                                         for f in table.fields)))
