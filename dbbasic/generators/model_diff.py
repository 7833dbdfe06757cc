"""Compile a change of the data model: the difference between its last snapshot and the specs.

PostgreSQL gets online recipes: a column is added without a rewrite, a NOT NULL is proven by a
`CHECK ... NOT VALID` that is validated (writes go on) before `SET NOT NULL`, foreign keys and CHECKs are
added `NOT VALID` then validated, unique keys and indexes are built `CONCURRENTLY`. SQLite gets ALTER
TABLE where it can (renames, plain added columns, indexes) and its table-rebuild procedure elsewhere.
Nothing is dropped unless the spec says `drop: true`; what looks like a rename must say `renamed_from`.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import cast

from dbbasic.errors import Problem
from dbbasic.plan.model import DdlStep, OnlineDdlStep, Plan, Risk, Step
from dbbasic.specs.model import DataModel, Field, Index, IndexColumn, Source, Table
from dbbasic.sql import ddl
from dbbasic.sql.analyze import combine, statement_effect
from dbbasic.sql.dialect import Dialect

NAME = "model_diff"
VERSION = 1


def check_change(old: DataModel, new: DataModel) -> list[Problem]:
    """What the change cannot be compiled without: a confirmed drop, a default, a rename."""
    file = new.source.file if new.source else "specs"
    at = new.source.line if new.source else 1
    problems = []
    old_tables = {t.name: t for t in old.tables}
    renamed = {t.renamed_from: t for t in new.tables if t.renamed_from in old_tables and t.name not in old_tables}
    names = {t.name for t in new.tables}
    for table in old.tables:
        if table.name not in names and table.name not in renamed and table.name not in new.dropped_tables:
            problems.append(Problem(file, at, 1, "error", "table-gone", f"table '{table.name}' is gone from the "
                                    "data model: that would drop it and its rows",
                                    f"write `{table.name}: {{drop: true}}` to drop it, or `renamed_from: "
                                    f"{table.name}` on its new name"))
    for table in new.tables:
        before = old_tables.get(table.name) or (renamed_table(table, old_tables))
        if before is None:
            continue
        if before.primary_key != table.primary_key:
            problems.append(Problem(file, table.line, 1, "error", "primary-key-change",
                                    f"the primary key of '{table.name}' changes", "a model diff does not change "
                                    "primary keys: write an explicit migration"))
        fields = {f.name for f in table.fields}
        field_renames = {f.renamed_from: f for f in table.fields
                         if f.renamed_from and before.field(f.renamed_from) and not before.field(f.name)}
        added = [f for f in table.fields if not before.field(f.name) and f not in field_renames.values()]
        for field in before.fields:
            if field.name in fields or field.name in field_renames or field.name in table.dropped_fields:
                continue
            alike = [f.name for f in added if f.type == field.type]
            close = difflib.get_close_matches(field.name, alike, n=1, cutoff=0.0)
            hint = (f"if it was renamed, write `renamed_from: {field.name}` on '{close[0]}'; " if close else "")
            problems.append(Problem(file, table.line, 1, "error", "field-gone", f"field '{table.name}.{field.name}' "
                                    "is gone from the data model: that would drop the column and its data",
                                    hint + f"to drop it, write `{field.name}: {{drop: true}}`"))
        for field in added:
            if field.required and field.default is None:
                problems.append(Problem(file, field.line or table.line, 1, "error", "new-required-field",
                                        f"new field '{table.name}.{field.name}' is required and has no default: "
                                        "the rows already in the table have no value for it",
                                        "give it a `default:`, or add it optional, fill it, then make it required"))
    return problems


def renamed_table(table: Table, old_tables: dict[str, Table]) -> Table | None:
    if table.renamed_from in old_tables and table.name not in old_tables:
        return old_tables[table.renamed_from or ""]
    return None


def compile_model_change(old: DataModel, new: DataModel, plan_id: str, dialect: Dialect, source: Source) -> Plan:
    steps = _Steps(dialect)
    old_tables = {t.name: t for t in old.tables}
    for table in new.tables:
        before = renamed_table(table, old_tables)
        if before is not None:
            steps.add(f"rename-{before.name}", [ddl.rename_table(dialect, before.name, table.name)],
                      [ddl.rename_table(dialect, table.name, before.name)],
                      f"Rename table {before.name} to {table.name}")
            old_tables[table.name] = replace(old_tables.pop(before.name), name=table.name)
    for table in new.tables:
        if table.name not in old_tables:
            indexes = [ddl.create_index(dialect, table, i) for i in ddl.table_indexes(table)]
            steps.add(f"create-{table.name}", [ddl.create_table(dialect, table, new), *indexes],
                      [ddl.drop_table(dialect, table)], f"Create table {table.name}")
    for table in new.tables:
        before = old_tables.get(table.name)
        if before is not None and before != table:
            _change_table(steps, before, table, old, new)
    for name, before in old_tables.items():
        if new.table(name) is None:
            steps.add(f"drop-{name}", [ddl.drop_table(dialect, before)],
                      [ddl.create_table(dialect, before, old)], f"Drop table {name} and its rows (confirmed)")
    what = ", ".join(sorted({s.id.split("-", 2)[1] for s in steps.steps})) or "nothing"
    return Plan(id=plan_id, task=f"Change the data model ({len(steps.steps)} steps: {what})", dialect=dialect.name,
                source=source, generator=NAME, generator_version=VERSION, steps=tuple(steps.steps))


class _Steps:
    """Numbered steps, each with the lock and risk of its statements."""

    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self.steps: list[Step] = []

    def add(self, name: str, up: list[str], down: list[str] | None, description: str, online: bool = False) -> None:
        lock, risk = combine([statement_effect(self.dialect, s) for s in up])
        kind = OnlineDdlStep if online else DdlStep
        self.steps.append(kind(f"{len(self.steps) + 1}-{name}", tuple(up), tuple(down) if down is not None else None,
                               self.dialect.LOCKS[lock], cast(Risk, risk), description))


def _change_table(steps: _Steps, before: Table, after: Table, old: DataModel, new: DataModel) -> None:
    dialect = steps.dialect
    renames = {f.renamed_from: f.name for f in after.fields
               if f.renamed_from and before.field(f.renamed_from) and not before.field(f.name)}
    for old_name, new_name in renames.items():
        steps.add(f"rename-{after.name}.{old_name}", [ddl.rename_column(dialect, after.name, old_name, new_name)],
                  [ddl.rename_column(dialect, after.name, new_name, old_name)],
                  f"Rename column {after.name}.{old_name} to {new_name}")
    before = replace(before, fields=tuple(replace(f, name=renames.get(f.name, f.name)) for f in before.fields))
    if before == after:
        return
    if dialect.inline_foreign_keys_only:
        _change_sqlite_table(steps, before, after, old, new)
    else:
        _change_postgres_table(steps, before, after, old, new)


def _change_sqlite_table(steps: _Steps, before: Table, after: Table, old: DataModel, new: DataModel) -> None:
    dialect = steps.dialect
    added = [f for f in after.fields if before.field(f.name) is None]
    same = replace(after, fields=tuple(f for f in after.fields if before.field(f.name) is not None),
                   indexes=before.indexes)
    simple = same == before and all(_sqlite_can_add(dialect, f) for f in added)
    if simple:  # only new plain columns and index changes: ALTER TABLE is enough
        for field in added:
            steps.add(f"add-{after.name}.{field.name}", [ddl.add_column(dialect, after, field, new, inline=True)],
                      [ddl.drop_column(dialect, after.name, field.name)], f"Add column {after.name}.{field.name}")
        _change_indexes(steps, before, after, online=False)
        return
    sources = {f.name: f.name for f in after.fields if before.field(f.name) is not None}
    back = {f.name: f.name for f in before.fields if after.field(f.name) is not None}
    steps.add(f"rebuild-{after.name}", ddl.rebuild_table(dialect, before, after, new, sources),
              ddl.rebuild_table(dialect, after, before, old, back),
              f"Rebuild table {after.name} (SQLite cannot ALTER this change): new table, copy, drop, rename")
    steps.steps[-1] = replace(cast(DdlStep, steps.steps[-1]), rebuild=True)


def _sqlite_can_add(dialect: Dialect, field: Field) -> bool:
    """SQLite's ADD COLUMN takes no UNIQUE, no expression default, and NOT NULL only with a default."""
    default = dialect.default_sql(field)
    return not field.unique and not (default or "").startswith("(") and not (field.required and default is None)


def _change_postgres_table(steps: _Steps, before: Table, after: Table, old: DataModel, new: DataModel) -> None:
    dialect, t = steps.dialect, after.name
    for field in after.fields:
        was = before.field(field.name)
        if was is None:
            # The column alone first (no rewrite, a brief lock); its constraints follow, each built online.
            plain = replace(field, type=ddl.column_type(dialect, field, new), unique=False, ref=None, on_delete=None,
                            index=False)
            steps.add(f"add-{t}.{field.name}", [ddl.add_column(dialect, after, plain, new)],
                      [ddl.drop_column(dialect, t, field.name)], f"Add column {t}.{field.name}")
            _add_checks(steps, after, field)
            _add_ref_and_unique(steps, after, field, new)
            continue
        if ddl.column_type(dialect, was, old) != ddl.column_type(dialect, field, new):
            new_type = dialect.column_type(ddl.column_type(dialect, field, new))
            old_type = dialect.column_type(ddl.column_type(dialect, was, old))
            q = dialect.quote(field.name)
            steps.add(f"type-{t}.{field.name}",
                      [ddl.alter_column(dialect, t, field.name, f"TYPE {new_type} USING {q}::{new_type}")],
                      [ddl.alter_column(dialect, t, field.name, f"TYPE {old_type} USING {q}::{old_type}")],
                      f"Change the type of {t}.{field.name} to {new_type} (rewrites the table)")
        if dialect.default_sql(was) != dialect.default_sql(field):
            steps.add(f"default-{t}.{field.name}", [_set_default(dialect, t, field)], [_set_default(dialect, t, was)],
                      f"Change the default of {t}.{field.name}")
        if field.required and not was.required:
            _add_not_null(steps, t, field.name)
        elif was.required and not field.required:
            steps.add(f"nullable-{t}.{field.name}", [ddl.alter_column(dialect, t, field.name, "DROP NOT NULL")],
                      [ddl.alter_column(dialect, t, field.name, "SET NOT NULL")], f"Allow NULL in {t}.{field.name}")
        if ddl.field_checks(dialect, before, was) != ddl.field_checks(dialect, after, field):
            for name, _ in ddl.field_checks(dialect, before, was):
                steps.add(f"drop-check-{t}.{field.name}", [ddl.drop_constraint(dialect, t, name)], None,
                          f"Drop the old CHECK of {t}.{field.name}")
            _add_checks(steps, after, field)
        if (was.ref, was.on_delete, was.unique) != (field.ref, field.on_delete, field.unique):
            if was.ref:
                name = ddl.constraint_name(dialect, t, [field.name], "fkey")
                steps.add(f"drop-fkey-{t}.{field.name}", [ddl.drop_constraint(dialect, t, name)], None,
                          f"Drop the old foreign key of {t}.{field.name}")
            if was.unique and not field.unique:
                name = ddl.constraint_name(dialect, t, [field.name], "key")
                steps.add(f"drop-unique-{t}.{field.name}", [ddl.drop_constraint(dialect, t, name)], None,
                          f"Drop the unique key of {t}.{field.name}")
            _add_ref_and_unique(steps, after, replace(field, unique=field.unique and not was.unique), new)
    for field in before.fields:
        if after.field(field.name) is None:
            steps.add(f"drop-{t}.{field.name}", [ddl.drop_column(dialect, t, field.name)],
                      [ddl.add_column(dialect, before, replace(field, required=False, unique=False, ref=None), old)],
                      f"Drop column {t}.{field.name} and its data (confirmed)")
    for group in after.unique:
        if group not in before.unique:
            _add_unique(steps, t, list(group))
    for group in before.unique:
        if group not in after.unique:
            name = ddl.constraint_name(dialect, t, list(group), "key")
            steps.add(f"drop-unique-{t}", [ddl.drop_constraint(dialect, t, name)], None, f"Drop unique key {name}")
    _change_indexes(steps, before, after, online=True)


def _set_default(dialect: Dialect, table: str, field: Field) -> str:
    default = dialect.default_sql(field)
    return ddl.alter_column(dialect, table, field.name, f"SET DEFAULT {default}" if default else "DROP DEFAULT")


def _add_not_null(steps: _Steps, table: str, column: str) -> None:
    """NOT NULL without a long lock: a NOT VALID check, validated while writes go on, then SET NOT NULL
    (which PostgreSQL proves from the validated check instead of scanning under ACCESS EXCLUSIVE)."""
    d, q = steps.dialect, steps.dialect.quote
    name = ddl.constraint_name(d, table, [column], "not_null")
    steps.add(f"not-null-check-{table}.{column}",
              [ddl.add_constraint(d, table, name, f"CHECK ({q(column)} IS NOT NULL)", not_valid=True)],
              [ddl.drop_constraint(d, table, name)], f"Check {table}.{column} IS NOT NULL for new rows")
    steps.add(f"not-null-validate-{table}.{column}", [ddl.validate_constraint(d, table, name)], [],
              f"Prove {table}.{column} IS NOT NULL for existing rows (writes go on)")
    steps.add(f"not-null-{table}.{column}", [ddl.alter_column(d, table, column, "SET NOT NULL"),
                                             ddl.drop_constraint(d, table, name)],
              [ddl.alter_column(d, table, column, "DROP NOT NULL")], f"Make {table}.{column} NOT NULL")


def _add_checks(steps: _Steps, table: Table, field: Field) -> None:
    d = steps.dialect
    for name, check in ddl.field_checks(d, table, field):
        steps.add(f"check-{table.name}.{field.name}", [ddl.add_constraint(d, table.name, name, f"CHECK ({check})",
                                                                          not_valid=True)],
                  [ddl.drop_constraint(d, table.name, name)], f"Check {table.name}.{field.name} for new rows")
        steps.add(f"validate-{table.name}.{field.name}", [ddl.validate_constraint(d, table.name, name)], [],
                  f"Check {table.name}.{field.name} for existing rows (writes go on)")


def _add_ref_and_unique(steps: _Steps, table: Table, field: Field, model: DataModel) -> None:
    d = steps.dialect
    if field.ref:
        name = ddl.constraint_name(d, table.name, [field.name], "fkey")
        clause = ddl.foreign_key_definition(d, field, model)
        steps.add(f"fkey-{table.name}.{field.name}", [ddl.add_constraint(d, table.name, name, clause, not_valid=True)],
                  [ddl.drop_constraint(d, table.name, name)], f"Reference {field.ref} from {table.name}.{field.name}")
        steps.add(f"validate-fkey-{table.name}.{field.name}", [ddl.validate_constraint(d, table.name, name)], [],
                  f"Check the references of existing rows of {table.name} (writes go on)")
    if field.unique:
        _add_unique(steps, table.name, [field.name])
    if field.index:
        index = Index((IndexColumn(field.name),))
        target = Table(table.name, table.fields)
        steps.add(f"index-{table.name}.{field.name}", [ddl.create_index(d, target, index, concurrently=True)],
                  [ddl.drop_index(d, ddl.index_name(d, target, index), concurrently=True)],
                  f"Index {table.name}.{field.name}", online=True)


def _add_unique(steps: _Steps, table: str, columns: list[str]) -> None:
    """A unique key without blocking writes: build its index CONCURRENTLY, then attach it as the constraint."""
    d = steps.dialect
    name = ddl.constraint_name(d, table, columns, "key")
    index = Index(tuple(IndexColumn(c) for c in columns), unique=True, name=name)
    target = Table(table, ())
    steps.add(f"unique-index-{table}", [ddl.create_index(d, target, index, concurrently=True)],
              [ddl.drop_index(d, name, concurrently=True)], f"Build the unique index {name} (writes go on)",
              online=True)
    steps.add(f"unique-{table}", [ddl.add_constraint(d, table, name, f"UNIQUE USING INDEX {d.quote(name)}")],
              [ddl.drop_constraint(d, table, name)], f"Make {name} the unique key of {table}")


def _change_indexes(steps: _Steps, before: Table, after: Table, online: bool) -> None:
    d = steps.dialect
    old = {ddl.index_name(d, before, i): i for i in ddl.table_indexes(before)}
    new = {ddl.index_name(d, after, i): i for i in ddl.table_indexes(after)}
    for name, index in new.items():
        if old.get(name) != index:
            if name in old:
                steps.add(f"drop-index-{after.name}", [ddl.drop_index(d, name, concurrently=online)],
                          [ddl.create_index(d, before, old[name], concurrently=online)], f"Drop index {name}",
                          online=online)
            steps.add(f"index-{after.name}", [ddl.create_index(d, after, index, concurrently=online)],
                      [ddl.drop_index(d, name, concurrently=online)], f"Create index {name}", online=online)
    for name, index in old.items():
        if name not in new:
            steps.add(f"drop-index-{after.name}", [ddl.drop_index(d, name, concurrently=online)],
                      [ddl.create_index(d, before, index, concurrently=online)], f"Drop index {name}", online=online)
