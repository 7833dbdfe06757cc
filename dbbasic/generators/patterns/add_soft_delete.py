"""Soft delete for a table: a nullable `deleted_at` column, a view of the live rows and an index for them.

    migration:
      task: "Add soft delete to todos"
      pattern: add_soft_delete
      model: todos
      options: {column: deleted_at, view: todos_live}   # optional; these are the defaults

Steps: add the column (nullable, no default: no rewrite, no backfill, every row stays live); build a
partial index on the primary key over the live rows (`WHERE deleted_at IS NULL`; CONCURRENTLY on
PostgreSQL, so writes go on); create the view `<table>_live` of the live rows; check that the view
counts as many rows as the table. Rolled back, the view, the index and the column go, in that order.
Nothing is contracted: the application moves its reads to the view (or adds the condition) on its own
schedule.
"""

from __future__ import annotations

from dbbasic.generators.patterns._common import Parameters, builds_indexes_online
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Field, FieldType, Index, IndexColumn, Migration, Table
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

NAME = "add_soft_delete"
VERSION = 1
USAGE = "`pattern: add_soft_delete`, `model: TABLE`, optional `options: {column: deleted_at, view: TABLE_live}`"


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=(), options=("column", "view"))
    table = params.table(model)
    column = params.name(dialect, "column", "deleted_at")
    view = params.name(dialect, "view", f"{table.name}_live")
    params.new_column(table, column)
    index = Index(tuple(IndexColumn(c) for c in table.primary_key),
                  name=ddl.constraint_name(dialect, table.name, [*table.primary_key, "live"], "idx"),
                  where=f"{dialect.quote(column)} IS NULL")
    index_name = ddl.index_name(dialect, table, index)
    params.new_relation(dialect, model, view, "view")
    params.new_relation(dialect, model, index_name, "index")
    if view.casefold() == index_name.casefold():
        params.fail("name-taken", f"the view and the index would both be named '{view}'",
                    f"pick another view name in `options:`; usage: {USAGE}")

    q, t = dialect.quote, table.name
    steps = Steps(dialect)
    field = Field(column, FieldType("timestamp"))
    steps.ddl(f"add-{t}.{column}", [ddl.add_column(dialect, table, field, model)],
              [ddl.drop_column(dialect, t, column)],
              f"Add the nullable column {t}.{column}: NULL is a live row, a time is when it was deleted")
    online = builds_indexes_online(dialect)
    keys = ", ".join(table.primary_key)
    steps.ddl(f"index-{index_name}", [ddl.create_index(dialect, Table(t, ()), index, concurrently=online)],
              [ddl.drop_index(dialect, index_name, concurrently=online)],
              f"Index the live rows of {t} by ({keys})" + (" (writes go on)" if online else ""), online=online)
    steps.ddl(f"view-{view}", [f"CREATE VIEW {q(view)} AS SELECT * FROM {q(t)} WHERE {q(column)} IS NULL"],
              [f"DROP VIEW IF EXISTS {q(view)}"], f"The view {view}: the rows of {t} not deleted")
    steps.check(f"verify-{view}", f"SELECT (SELECT count(*) FROM {q(t)}) - (SELECT count(*) FROM {q(view)})", 0,
                f"Every row of {t} is live: none is deleted yet")
    return tuple(steps.steps)
