"""Drop a column and its data: the contract step, confirmed with `allow_destructive: true`.

    migration:
      task: "Drop users.legacy, which nothing reads any more"
      pattern: drop_column
      model: users
      field: legacy
      allow_destructive: true        # required: the column's data is gone once the step commits

Ship the code that no longer reads or writes the column first. On PostgreSQL (the data model's recipe)
the indexes on the column are dropped CONCURRENTLY, then `ALTER TABLE ... DROP COLUMN` (a brief lock; the
space is reclaimed as rows are rewritten); SQLite rebuilds the table without it. The data cannot come
back: rolled back, the column is added back empty (NULL in every row, so without NOT NULL), with its
CHECKs, unique key, reference and indexes. A column of the primary key, of a unique group or of an
index of several columns is not dropped by this pattern (write an explicit migration).
"""

from __future__ import annotations

from dataclasses import replace

from dbbasic.generators.patterns._common import Parameters, edit_table
from dbbasic.plan.model import Step
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

NAME = "drop_column"
VERSION = 1
USAGE = "`pattern: drop_column`, `model: TABLE`, `field: FIELD`, and `allow_destructive: true` on the migration"


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=())
    table = params.table(model)
    field = params.column(table)
    if not migration.allow_destructive:
        params.fail("destructive", f"dropping '{table.name}.{field.name}' destroys its data, which no rollback "
                    "brings back", f"say `allow_destructive: true` on the migration once nothing uses the column; "
                    f"usage: {USAGE}")
    shared = [", ".join(g) for g in (table.primary_key, *table.unique) if field.name in g]
    shared += [", ".join(c.name for c in i.columns) for i in table.indexes
               if field.name in [c.name for c in i.columns] and len(i.columns) > 1]
    if shared or len(table.fields) == 1:
        what = f"it is in ({shared[0]})" if shared else "it is the table's only column"
        params.fail("pattern-parameter", f"'{table.name}.{field.name}' cannot be dropped alone: {what}",
                    "write an explicit migration that drops the key or index too")
    after = replace(table, fields=tuple(f for f in table.fields if f is not field),
                    indexes=tuple(i for i in table.indexes if field.name not in [c.name for c in i.columns]),
                    dropped_fields=(field.name,))
    return edit_table(model, dialect, table, after)
