"""Make a column, or a group of columns, unique, built without blocking writes on PostgreSQL.

    migration:
      task: "One account per email"
      pattern: add_unique
      model: users
      field: email                 # or `fields: [team_id, name]` for a group unique together

On PostgreSQL (the data model's recipe): `CREATE UNIQUE INDEX CONCURRENTLY` (reads and writes go on),
then `ADD CONSTRAINT ... UNIQUE USING INDEX`, a brief lock that makes the index the table's unique key
(`<table>_<columns>_key`). SQLite rebuilds the table with the constraint. Duplicates stop the plan at the
index build (SQLite: at the rebuild's copy): remove them first. Rolled back, the key and its index go.
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.generators.patterns._common import Parameters, choices, edit_table
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

NAME = "add_unique"
VERSION = 1
USAGE = "`pattern: add_unique`, `model: TABLE`, `field: FIELD` or `fields: [FIELD, ...]` (unique together)"


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field", "fields"), options=())
    table = params.table(model)
    group = params.spec.get("fields")
    if group is None:
        field = params.column(table)
        if field.unique or (field.name,) == table.primary_key:
            params.fail("pattern-parameter", f"field '{table.name}.{field.name}' is unique already",
                        f"usage: {USAGE}")
        return edit_table(model, dialect, table, replace(table, fields=tuple(
            replace(f, unique=True) if f is field else f for f in table.fields)))
    names = [f.name for f in table.fields]
    if ("field" in params.spec or not isinstance(group, list) or len(group) < 2
            or len(set(map(str, group))) != len(group)):
        params.fail("pattern-parameter", "give `field:` for one column, or `fields:` with two or more different "
                    "columns", f"usage: {USAGE}")
    for name in group:
        if name not in names:
            params.fail("unknown-field", f"'{name}' is not a field of '{table.name}'",
                        choices(str(name), names, f"fields of '{table.name}'") + f"usage: {USAGE}")
    if tuple(group) in table.unique or tuple(group) == table.primary_key:
        params.fail("pattern-parameter", f"({', '.join(group)}) is unique already", f"usage: {USAGE}")
    return edit_table(model, dialect, table, replace(table, unique=(*table.unique, tuple(group))))
