"""Add an index to a table, built without blocking writes on PostgreSQL.

    migration:
      task: "Index todos by owner and date"
      pattern: add_index
      model: todos
      options: {columns: [user_id, created_at desc], unique: false, where: "done = false"}   # as in `indexes:`

One step (the data model's recipe): `CREATE INDEX CONCURRENTLY` on PostgreSQL, outside a transaction,
while reads and writes go on (an interrupted build that left the index INVALID is built again); a plain
`CREATE INDEX` in a transaction on SQLite. `columns`, `unique`, `name` and `where` are those of an entry of
`indexes:`; the name defaults to `<table>_<columns>_idx`. Rolled back, the index is dropped (concurrently
on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.errors import Problem
from dbbasic.generators.patterns._common import Parameters, edit_table
from dbbasic.plan.model import Step
from dbbasic.specs.data import DataModelBuilder
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

NAME = "add_index"
VERSION = 1
USAGE = ("`pattern: add_index`, `model: TABLE`, `options: {columns: [COLUMN, ...]}` and optional `unique: true`, "
         "`name: NAME`, `where: CONDITION` (as an entry of `indexes:`)")


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=(), options=("columns", "unique", "name", "where"))
    table = params.table(model)
    columns = params.required("columns")
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        params.fail("pattern-parameter", "option `columns` must be a column or a list of columns",
                    f"usage: {USAGE}")
    if "name" in params.options:
        params.name(dialect, "name", "")
    spec = {**params.options, "columns": columns}
    doc = params.data_spec("index", spec, "the index")
    problems: list[Problem] = []  # read as `indexes:` reads an entry
    index = DataModelBuilder(tuple(Dialect.names()), problems)._index(doc, (), spec, [f.name for f in table.fields])
    params.data_problem(problems, "the index")
    params.new_relation(dialect, model, ddl.index_name(dialect, table, index), "index")
    return edit_table(model, dialect, table, replace(table, indexes=(*table.indexes, index)))
