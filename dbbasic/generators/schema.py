"""Compile the data model into the plan that creates it: one step per table, in dependency order.

Tables come after the tables they refer to. A cycle of refs is broken on dialects that can add a
foreign key later (PostgreSQL): the closing key is added in a last step. SQLite checks foreign keys
on writes only, so there every key stays inline.
"""

from __future__ import annotations

from dbbasic.plan.model import DdlStep, Plan, Step
from dbbasic.specs.model import DataModel, Field, Table
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.schema_state import normalize_type

NAME = "schema"
VERSION = 1
PLAN_ID = "schema"


def compile_data_model(model: DataModel, dialect: Dialect) -> Plan | None:
    """The plan that creates every table of `model`, or None for an empty model."""
    if not model.tables or model.source is None:
        return None
    ordered, late = _order(model, dialect)
    steps: list[Step] = []
    for n, table in enumerate(ordered, start=1):
        skip = frozenset(f.name for f in late.get(table.name, []))
        up = [ddl.create_table(dialect, table, model, skip)]
        up += [ddl.create_index(dialect, table, i) for i in ddl.table_indexes(table)]
        steps.append(DdlStep(id=f"{n}-create-{table.name}", up=tuple(up), down=(ddl.drop_table(dialect, table),),
                             lock="none: a new table", risk="safe",
                             description=table.description or f"Create table {table.name}"))
    if late:
        tables = {t.name: t for t in ordered}
        pairs = [(tables[name], field) for name, fields in sorted(late.items()) for field in fields]
        steps.append(DdlStep(
            id=f"{len(steps) + 1}-add-cyclic-foreign-keys",
            up=tuple(ddl.add_foreign_key(dialect, t, f, model) for t, f in pairs),
            down=tuple(ddl.drop_foreign_key(dialect, t, f) for t, f in reversed(pairs)),
            lock="SHARE ROW EXCLUSIVE on both tables, brief (they are new and empty)", risk="safe",
            description="Foreign keys that close a cycle of refs, added once every table exists"))
    count = len(ordered)
    plan = Plan(id=PLAN_ID, task=f"Create the data model ({count} table{'s' if count != 1 else ''})",
                dialect=dialect.name, source=model.source, generator=NAME, generator_version=VERSION,
                steps=tuple(steps))
    return plan.with_fingerprints({t.name: None for t in ordered}, {t.name: _columns(t, model, dialect)
                                                                   for t in ordered})


def _columns(table: Table, model: DataModel, dialect: Dialect) -> list[list[str | bool]]:
    """The table as introspection will read it: each column's type and whether it allows NULL."""
    return [[f.name, normalize_type(dialect, dialect.column_type(ddl.column_type(dialect, f, model))),
             not (f.required or f.name in table.primary_key)] for f in table.fields]


def _order(model: DataModel, dialect: Dialect) -> tuple[list[Table], dict[str, list[Field]]]:
    """Tables in dependency order, and the ref fields that must wait for a later ALTER (cycles)."""
    placed: list[Table] = []
    done: set[str] = set()
    late: dict[str, list[Field]] = {}
    pending = list(model.tables)
    while pending:
        ready = next((t for t in pending
                      if all(f.ref in done or f.ref == t.name for f in t.fields if f.ref)), None)
        if ready is None:
            # A cycle: place the first pending table; its refs to unplaced tables are added later.
            ready = pending[0]
            if not dialect.inline_foreign_keys_only:
                waiting = [f for f in ready.fields if f.ref and f.ref not in done and f.ref != ready.name]
                late[ready.name] = waiting
        pending.remove(ready)
        placed.append(ready)
        done.add(ready.name)
    return placed, late
