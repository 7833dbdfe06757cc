"""`database: sharded` compiled to Citus's distribution DDL: which table is distributed by which column, which
tables are co-located, which are copied whole to every node; and what Citus would refuse, said before anything
runs. Pure: SQL text out.

    distributions = plan_distribution(list(model.tables))   # users by id; projects by owner_id, todos by user_id
    problems(list(model.tables), distributions)             # keys Citus cannot enforce per shard, and why
    citus_sql(distributions)                                 # SELECT create_distributed_table(...), in order

The rule, kept simple so that a reviewer can predict it:
- the tenant table is the one most tables refer to (or the one the `column` fields refer to); it is distributed
  by its primary key, and each table that refers to it by that reference (a required one first), co-located with
  it, so a tenant's rows of every table sit on one node and joins on the tenant stay local;
- every other table is a reference table (copied to every node): lookup tables, small by nature. One known
  (from `rows`, the planner's estimates) to hold more than `reference_max_rows` rows is instead distributed by
  its own primary key, alone in its co-location group: copying it to every node would cost more than it saves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from dbbasic.specs.model import Table
from dbbasic.sql.dialect import Dialect

PG = Dialect.get("postgres")

REFERENCE_MAX_ROWS = 100_000


@dataclass(frozen=True)
class Distribution:
    table: str
    column: str | None
    """The distribution column; None for a reference table."""
    colocate_with: str | None
    """The first table of its co-location group; None for that first table (a new group) and reference tables."""


def plan_distribution(tables: list[Table], column: str | None = None, rows: Mapping[str, int] | None = None,
                      reference_max_rows: int = REFERENCE_MAX_ROWS) -> list[Distribution]:
    """One distribution per table, reference tables first, then each table after the tables it refers to."""
    ordered = _dependency_order(tables)
    head, keys = _tenant_keys(tables, column)
    found: list[Distribution] = []
    for table in ordered:
        if table.name in keys:
            found.append(Distribution(table.name, keys[table.name], None if table.name == head else head))
        elif (rows or {}).get(table.name, 0) > reference_max_rows and table.primary_key:
            found.append(Distribution(table.name, table.primary_key[0], None))
    distributed = {d.table for d in found}
    references = [Distribution(t.name, None, None) for t in ordered if t.name not in distributed]
    return references + found


def _tenant_keys(tables: list[Table], column: str | None) -> tuple[str | None, dict[str, str]]:
    """The head of the tenant group, and each of its tables' distribution column."""
    names = {t.name: t for t in tables}
    if column is not None:
        having = [t for t in tables if t.field(column) is not None]
        targets = sorted({f.ref for t in having if (f := t.field(column)) is not None and f.ref})
        if len(targets) > 1:
            raise ValueError(f"{column} refers to several tables ({', '.join(targets)}): name one tenant key")
        keys = {t.name: column for t in having}
        tenant = names.get(targets[0]) if targets else None
        if tenant is not None and tenant.primary_key:
            keys[tenant.name] = tenant.primary_key[0]
            return tenant.name, keys
        return (having[0].name if having else None), keys
    counts = Counter(ref for t in tables for ref in {f.ref for f in t.fields if f.ref and f.ref != t.name})
    ranked = [t for t in tables if counts[t.name] and t.primary_key]
    if not ranked:
        return None, {}
    tenant = max(ranked, key=lambda t: counts[t.name])  # the first of equals, in the model's order
    keys = {tenant.name: tenant.primary_key[0]}
    for table in tables:
        refs = [f for f in table.fields if f.ref == tenant.name and table is not tenant]
        if refs:
            keys[table.name] = min(refs, key=lambda f: not f.required).name  # the first required one, else the first
    return tenant.name, keys


def _dependency_order(tables: list[Table]) -> list[Table]:
    """Tables after the tables they refer to (Citus refuses a key to a table not distributed yet); a cycle is
    broken at its first table in the model's order."""
    placed: list[Table] = []
    pending = list(tables)
    while pending:
        waiting = {t.name for t in pending}
        ready = next((t for t in pending if all(f.ref == t.name or f.ref not in waiting
                                                 for f in t.fields if f.ref)), pending[0])
        pending.remove(ready)
        placed.append(ready)
    return placed


def problems(tables: list[Table], distributions: list[Distribution]) -> list[str]:
    """Where Citus would refuse the plan, each with what to change."""
    found: list[str] = []
    names = {t.name: t for t in tables}
    placed = {d.table: d for d in distributions}
    for dist in distributions:
        table = names[dist.table]
        if dist.column is not None:
            found += _key_problems(table, dist.column)
        for field in table.fields:
            target = placed.get(field.ref or "")
            if target is None or target.column is None:
                continue  # a key to a reference table is allowed from any table
            where = f"{table.name}.{field.name} refers to {target.table}"
            if dist.column is None:
                found.append(f"{where}, a distributed table, from the reference table {table.name}: Citus refuses "
                             f"a foreign key from a reference table to a distributed one; drop the ref or "
                             f"distribute {table.name} by a column that refers to the tenant")
            elif _group(dist) != _group(target):
                found.append(f"{where}, which is not co-located with it: Citus checks a foreign key only within a "
                             f"co-location group; drop the ref or distribute both by the same tenant key")
            elif field.name != dist.column or names[target.table].primary_key != (target.column,):
                found.append(f"{where} by {field.name}, which is not the distribution column on both sides "
                             f"({table.name}.{dist.column}, {target.table}.{target.column}): Citus accepts a foreign "
                             f"key between distributed tables only on their distribution columns; drop the ref "
                             f"(checked by the application), or refer by the distribution columns")
    return found


def _key_problems(table: Table, column: str) -> list[str]:
    field = table.field(column)
    if field is None:
        return [f"{table.name}: the distribution column {column} is not a field of it"]
    found = []
    if not field.required and column not in table.primary_key:
        found.append(f"{table.name}.{column} may be NULL: Citus refuses a row without its distribution column; "
                     "make it `required: true`")
    why = "Citus enforces uniqueness within a shard only, so it requires every key to include the distribution column"
    if table.primary_key and column not in table.primary_key:
        found.append(f"{table.name}: the primary key ({', '.join(table.primary_key)}) lacks the distribution column "
                     f"{column}; {why}: write `primary_key: [{', '.join(table.primary_key)}, {column}]`")
    groups: list[tuple[str, ...]] = [(f.name,) for f in table.fields if f.unique and (f.name,) != table.primary_key]
    groups += list(table.unique) + [tuple(c.name for c in i.columns) for i in table.indexes if i.unique]
    for group in groups:
        if column not in group:
            found.append(f"{table.name}: unique ({', '.join(group)}) lacks the distribution column {column}; {why}: "
                         f"make it unique ({', '.join(group)}, {column}), or keep it unique outside the database")
    return found


def _group(dist: Distribution) -> str:
    return dist.colocate_with or dist.table


def citus_sql(distributions: list[Distribution]) -> list[str]:
    """The Citus calls: reference tables first, then distributed tables, each group's first table before the
    tables co-located with it, otherwise in the order given. The first of a group says `colocate_with => 'none'`:
    Citus would otherwise join it to any group of the same column type already there."""
    q, lit = PG.quote, PG.literal
    sql = [f"SELECT create_reference_table({lit(q(d.table))})" for d in distributions if d.column is None]
    pending = [d for d in distributions if d.column is not None]
    named = {d.table for d in pending}
    done: set[str] = set()
    while pending:
        dist = next((d for d in pending if d.colocate_with is None or d.colocate_with in done
                     or d.colocate_with not in named), pending[0])
        pending.remove(dist)
        done.add(dist.table)
        with_ = lit(q(dist.colocate_with)) if dist.colocate_with else lit("none")
        # The column is a name, not an identifier: Citus looks it up as written (quotes would be part of it).
        sql.append(f"SELECT create_distributed_table({lit(q(dist.table))}, {lit(dist.column)}, "
                   f"colocate_with => {with_})")
    return sql
