"""Compile a change of the data model: the difference between its last snapshot and the specs.

PostgreSQL gets online recipes: a column is added without a rewrite, a NOT NULL is proven by a
`CHECK ... NOT VALID` that is validated (writes go on) before `SET NOT NULL`, foreign keys and CHECKs are
added `NOT VALID` then validated, unique keys and indexes are built `CONCURRENTLY`, and a column changes
type through a shadow column (kept in step by a trigger, filled in batches, checked, then swapped in).
SQLite gets ALTER TABLE where it can (renames, plain added columns, indexes) and its table-rebuild
procedure elsewhere. Nothing is dropped unless the spec says `drop: true`; what looks like a rename must
say `renamed_from`. `table_change_steps` compiles one table's change; the schema-edit patterns use it.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import cast

import sqlglot
from sqlglot import exp

from dbbasic.errors import Problem
from dbbasic.generators.steps import Steps, batch_key
from dbbasic.plan.model import DdlStep, Plan, Step
from dbbasic.specs.model import DataModel, Field, Index, IndexColumn, Source, Table
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

NAME = "model_diff"
VERSION = 2


def check_change(old: DataModel, new: DataModel) -> list[Problem]:
    """What the change cannot be compiled without: a confirmed drop, a default, a rename."""
    file = new.source.file if new.source else "specs"
    at = new.source.line if new.source else 1
    problems = []
    old_tables = {t.name: t for t in old.tables}
    renamed = {t.renamed_from: t for t in new.tables if t.renamed_from in old_tables and t.name not in old_tables}
    names = {t.name for t in new.tables}
    new_tables = [t for t in new.tables if t.name not in old_tables and t.renamed_from not in old_tables]
    for table in old.tables:
        if table.name not in names and table.name not in renamed and table.name not in new.dropped_tables:
            similar, drop = _alike_table(table, new_tables), f"`{table.name}: {{drop: true}}`"
            hint = (f"'{similar}' has its fields: if it was renamed, write `renamed_from: {table.name}` on "
                    f"'{similar}'; to drop it, write {drop}" if similar else
                    f"write {drop} to drop it, or `renamed_from: {table.name}` on its new name")
            problems.append(Problem(file, at, 1, "error", "table-gone", f"table '{table.name}' is gone from the "
                                    "data model: that would drop it and its rows", hint))
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


def _alike_table(gone: Table, added: list[Table]) -> str | None:
    """The added table that looks most like a renamed `gone`: at least half its fields, same names and types."""
    fields = {(f.name, f.type) for f in gone.fields}
    scored = [(len(fields & {(f.name, f.type) for f in t.fields}), t.name) for t in added]
    best = max(scored, default=(0, ""))
    return best[1] if fields and best[0] * 2 >= len(fields) else None


def renamed_table(table: Table, old_tables: dict[str, Table]) -> Table | None:
    if table.renamed_from in old_tables and table.name not in old_tables:
        return old_tables[table.renamed_from or ""]
    return None


def compile_model_change(old: DataModel, new: DataModel, plan_id: str, dialect: Dialect, source: Source) -> Plan:
    steps = Steps(dialect)
    old_tables = {t.name: t for t in old.tables}
    for table in new.tables:
        before = renamed_table(table, old_tables)
        if before is not None:
            steps.ddl(f"rename-{before.name}", [ddl.rename_table(dialect, before.name, table.name)],
                      [ddl.rename_table(dialect, table.name, before.name)],
                      f"Rename table {before.name} to {table.name}")
            old_tables[table.name] = replace(old_tables.pop(before.name), name=table.name)
    for table in new.tables:
        if table.name not in old_tables:
            indexes = [ddl.create_index(dialect, table, i) for i in ddl.table_indexes(table)]
            steps.ddl(f"create-{table.name}", [ddl.create_table(dialect, table, new), *indexes],
                      [ddl.drop_table(dialect, table)], f"Create table {table.name}")
    for table in new.tables:
        before = old_tables.get(table.name)
        if before is not None and before != table:
            _change_table(steps, before, table, old, new)
    for name, before in old_tables.items():
        if new.table(name) is None:
            steps.ddl(f"drop-{name}", [ddl.drop_table(dialect, before)],
                      [ddl.create_table(dialect, before, old)], f"Drop table {name} and its rows (confirmed)")
    what = ", ".join(sorted({s.id.split("-", 2)[1] for s in steps.steps})) or "nothing"
    return Plan(id=plan_id, task=f"Change the data model ({len(steps.steps)} steps: {what})", dialect=dialect.name,
                source=source, generator=NAME, generator_version=VERSION, steps=tuple(steps.steps))


def table_change_steps(before: Table, after: Table, old: DataModel, new: DataModel, dialect: Dialect
                       ) -> tuple[Step, ...]:
    """The steps that turn table `before` (of the model `old`) into `after` (of `new`), numbered from 1:
    the recipes of a model change for one table (a renamed field says `renamed_from`). The schema-edit
    patterns edit a table of the data model and compile the edit here, so each operation has one recipe."""
    steps = Steps(dialect)
    _change_table(steps, before, after, old, new)
    return tuple(steps.steps)


def _change_table(steps: Steps, before: Table, after: Table, old: DataModel, new: DataModel) -> None:
    dialect = steps.dialect
    renames = {f.renamed_from: f.name for f in after.fields
               if f.renamed_from and before.field(f.renamed_from) and not before.field(f.name)}
    for old_name, new_name in renames.items():
        steps.ddl(f"rename-{after.name}.{old_name}", [ddl.rename_column(dialect, after.name, old_name, new_name)],
                  [ddl.rename_column(dialect, after.name, new_name, old_name)],
                  f"Rename column {after.name}.{old_name} to {new_name}")
    before = rename_columns(before, renames)
    if before == after:
        return
    if dialect.inline_foreign_keys_only:
        _change_sqlite_table(steps, before, after, old, new)
    else:
        _change_postgres_table(steps, before, after, old, new)


def rename_columns(table: Table, renames: dict[str, str]) -> Table:
    """The table with fields renamed, its key, unique groups and indexes following them (as the database's do)."""
    def name(column: str) -> str:
        return renames.get(column, column)

    return replace(table, fields=tuple(replace(f, name=name(f.name)) for f in table.fields),
                   primary_key=tuple(map(name, table.primary_key)),
                   unique=tuple(tuple(map(name, group)) for group in table.unique),
                   indexes=tuple(replace(i, columns=tuple(replace(c, name=name(c.name)) for c in i.columns))
                                 for i in table.indexes))


def _change_sqlite_table(steps: Steps, before: Table, after: Table, old: DataModel, new: DataModel) -> None:
    dialect = steps.dialect
    added = [f for f in after.fields if before.field(f.name) is None]
    same = replace(after, fields=tuple(f for f in after.fields if before.field(f.name) is not None),
                   indexes=before.indexes)
    simple = same == before and all(_sqlite_can_add(dialect, f) for f in added)
    if simple:  # only new plain columns and index changes: ALTER TABLE is enough
        for field in added:
            steps.ddl(f"add-{after.name}.{field.name}", [ddl.add_column(dialect, after, field, new, inline=True)],
                      [ddl.drop_column(dialect, after.name, field.name)], f"Add column {after.name}.{field.name}")
        _change_indexes(steps, before, after, online=False)
        return
    sources = {f.name: f.name for f in after.fields if before.field(f.name) is not None}
    back = {f.name: f.name for f in before.fields if after.field(f.name) is not None}
    steps.ddl(f"rebuild-{after.name}", ddl.rebuild_table(dialect, before, after, new, sources),
              ddl.rebuild_table(dialect, after, before, old, back),
              f"Rebuild table {after.name} (SQLite cannot ALTER this change): new table, copy, drop, rename")
    steps.steps[-1] = replace(cast(DdlStep, steps.steps[-1]), rebuild=True)


def _sqlite_can_add(dialect: Dialect, field: Field) -> bool:
    """SQLite's ADD COLUMN takes no UNIQUE, no expression default, and NOT NULL only with a default."""
    default = dialect.default_sql(field)
    return not field.unique and not (default or "").startswith("(") and not (field.required and default is None)


def _change_postgres_table(steps: Steps, before: Table, after: Table, old: DataModel, new: DataModel) -> None:
    dialect, t = steps.dialect, after.name
    for field in after.fields:
        was = before.field(field.name)
        if was is None:
            # The column alone first (no rewrite, a brief lock); its constraints follow, each built online.
            plain = replace(field, type=ddl.column_type(dialect, field, new), unique=False, ref=None, on_delete=None,
                            index=False)
            steps.ddl(f"add-{t}.{field.name}", [ddl.add_column(dialect, after, plain, new)],
                      [ddl.drop_column(dialect, t, field.name)], f"Add column {t}.{field.name}")
            _add_checks(steps, after, field)
            _add_ref_and_unique(steps, after, field, new)  # its `index:` is _change_indexes'
            continue
        replaced = False  # the column was replaced by a shadow of the new type: its CHECKs are gone
        if _sql_type(dialect, was, old) != _sql_type(dialect, field, new):
            replaced = _change_type(steps, before, after, was, field, old, new)
        if dialect.default_sql(was) != dialect.default_sql(field):
            steps.ddl(f"default-{t}.{field.name}", [_set_default(dialect, t, field)], [_set_default(dialect, t, was)],
                      f"Change the default of {t}.{field.name}")
        if field.required and not was.required:
            _add_not_null(steps, t, field.name)
        elif was.required and not field.required:
            steps.ddl(f"nullable-{t}.{field.name}", [ddl.alter_column(dialect, t, field.name, "DROP NOT NULL")],
                      [ddl.alter_column(dialect, t, field.name, "SET NOT NULL")], f"Allow NULL in {t}.{field.name}")
        if replaced:
            _add_checks(steps, after, field)
        elif ddl.field_checks(dialect, before, was) != ddl.field_checks(dialect, after, field):
            for name, _ in ddl.field_checks(dialect, before, was):
                steps.ddl(f"drop-check-{t}.{field.name}", [ddl.drop_constraint(dialect, t, name)], None,
                          f"Drop the old CHECK of {t}.{field.name}")
            _add_checks(steps, after, field)
        if (was.ref, was.on_delete, was.unique) != (field.ref, field.on_delete, field.unique):
            if was.ref:
                name = ddl.constraint_name(dialect, t, [field.name], "fkey")
                steps.ddl(f"drop-fkey-{t}.{field.name}", [ddl.drop_constraint(dialect, t, name)], None,
                          f"Drop the old foreign key of {t}.{field.name}")
            if was.unique and not field.unique:
                name = ddl.constraint_name(dialect, t, [field.name], "key")
                steps.ddl(f"drop-unique-{t}.{field.name}", [ddl.drop_constraint(dialect, t, name)], None,
                          f"Drop the unique key of {t}.{field.name}")
            _add_ref_and_unique(steps, after, replace(field, unique=field.unique and not was.unique), new)
    for group in after.unique:
        if group not in before.unique:
            _add_unique(steps, t, list(group))
    for group in before.unique:
        if group not in after.unique:
            name = ddl.constraint_name(dialect, t, list(group), "key")
            steps.ddl(f"drop-unique-{t}", [ddl.drop_constraint(dialect, t, name)], None, f"Drop unique key {name}")
    _change_indexes(steps, before, after, online=True)
    for field in before.fields:  # after its indexes and keys: a rollback adds the column back before them
        if after.field(field.name) is None:
            _drop_column(steps, before, field, old)


def _drop_column(steps: Steps, table: Table, field: Field, model: DataModel) -> None:
    """Drop a column; its down adds it back empty (the data cannot come back), so nullable, with its
    CHECKs, unique key and reference (which hold on an empty column)."""
    d, t, c = steps.dialect, table.name, field.name
    down = [ddl.add_column(d, table, replace(field, required=False, unique=False, ref=None), model)]
    down += [ddl.add_constraint(d, t, name, f"CHECK ({check})") for name, check in ddl.field_checks(d, table, field)]
    if field.unique:
        down.append(ddl.add_constraint(d, t, ddl.constraint_name(d, t, [c], "key"), f"UNIQUE ({d.quote(c)})"))
    if field.ref:
        down.append(ddl.add_constraint(d, t, ddl.constraint_name(d, t, [c], "fkey"),
                                       ddl.foreign_key_definition(d, field, model)))
    steps.ddl(f"drop-{t}.{c}", [ddl.drop_column(d, t, c)], down, f"Drop column {t}.{c} and its data (confirmed)")


def _sql_type(dialect: Dialect, field: Field, model: DataModel) -> str:
    """The column's SQL type: semantic types of one SQL type (text, email, string(n)) differ by CHECKs only."""
    return dialect.column_type(ddl.column_type(dialect, field, model))


def _change_type(steps: Steps, before: Table, after: Table, was: Field, field: Field, old: DataModel,
                 new: DataModel) -> bool:
    """A new type for a column without rewriting the table under ACCESS EXCLUSIVE: a shadow column of the
    new type, kept in step with the column by a trigger, filled in batches over the key, checked, then
    swapped in by one short transaction that drops the old column and gives the shadow its name, its NOT
    NULL (proven beforehand by a validated CHECK), its default, its unique keys, foreign key and indexes
    (built CONCURRENTLY on the shadow beforehand). It is what `ALTER COLUMN ... TYPE` does, online: the
    column's CHECKs are the caller's (the new type's are added NOT VALID, then validated). The check proves
    that every value converts and converts back to itself, so the old column drops no information. The
    swap's down is that `ALTER ... TYPE` back (a rewrite, but only on rollback). The column moves to the
    end of the table (PostgreSQL cannot reorder columns) and stays there after a rollback.

    A key column, or a table with no key to walk, gets the plain `ALTER ... TYPE` (a rewrite) instead.
    Returns whether the column was replaced by its shadow."""
    d, t, c, q = steps.dialect, after.name, field.name, steps.dialect.quote
    new_type, old_type = _sql_type(d, field, new), _sql_type(d, was, old)
    retype = ddl.alter_column(d, t, c, f"TYPE {new_type} USING {q(c)}::{new_type}")
    retype_back = ddl.alter_column(d, t, c, f"TYPE {old_type} USING {q(c)}::{old_type}")
    key = batch_key(d, before, old)
    if key is None or c in before.primary_key:
        why = "it is the key" if c in before.primary_key else "the table has no single-column key to fill it by"
        steps.ddl(f"type-{t}.{c}", [retype], [retype_back], f"Change the type of {t}.{c} to {new_type}: "
                  f"rewrites the table under ACCESS EXCLUSIVE (no online recipe: {why})")
        return False
    shadow = ddl.constraint_name(d, "dbbasic", [c], "new")
    sync = ddl.constraint_name(d, "dbbasic", [t, c], "sync")
    add_shadow = ddl.add_column(d, Table(t, ()), Field(shadow, ddl.column_type(d, field, new)), new)
    steps.ddl(f"shadow-{t}.{c}", [add_shadow], [ddl.drop_column(d, t, shadow)],
              f"Add {t}.{shadow}, the {new_type} column that will replace {c} (nullable: no rewrite)")
    steps.ddl(f"sync-{t}.{c}", ddl.sync_trigger(d, t, sync, shadow, f"NEW.{q(c)}::{new_type}", c),
              ddl.drop_sync_trigger(d, t, sync), f"Keep {shadow} equal to {c} on every write while rows are filled")
    after_key, upto = ddl.batch_bound(d, "after"), ddl.batch_bound(d, "upto")
    # No down of its own: the shadow column it fills goes with the shadow step's down.
    steps.batched(f"backfill-{t}.{c}", t, key.name,
                  [f"UPDATE {q(t)} SET {q(shadow)} = {q(c)}::{new_type} "
                   f"WHERE {q(key.name)} > {after_key} AND {q(key.name)} <= {upto}"], [],
                  f"Fill {shadow} from {c}, in batches over {key.name}")
    steps.check(f"verify-{t}.{c}", f"SELECT count(*) FROM {q(t)} WHERE {q(shadow)} IS DISTINCT FROM {q(c)}::{new_type} "
                f"OR {q(shadow)}::{old_type} IS DISTINCT FROM {q(c)}", 0,
                f"Every row's {c} is in {shadow} as {new_type}, and converts back to itself (nothing is lost)")
    swap = ddl.drop_sync_trigger(d, t, sync)
    if was.required:  # proven beforehand (after the backfill), so that SET NOT NULL in the swap scans nothing
        proof = _prove_not_null(steps, t, shadow)
        swap += [ddl.alter_column(d, t, shadow, "SET NOT NULL"), ddl.drop_constraint(d, t, proof)]
    swap += [ddl.drop_column(d, t, c), ddl.rename_column(d, t, shadow, c)]
    if d.default_sql(was) is not None:
        swap.append(_set_default(d, t, was))
    uniques = [[c]] * was.unique + [list(g) for g in before.unique if c in g]
    for group in uniques:
        name = ddl.constraint_name(d, t, group, "key")
        built = _shadow_index(steps, t, Index(tuple(IndexColumn(n) for n in group), unique=True, name=name), c, shadow)
        swap.append(ddl.add_constraint(d, t, name, f"UNIQUE USING INDEX {q(built)}"))
    for index in ddl.table_indexes(before):
        if c in [i.name for i in index.columns] or (index.where and _mentions(d, index.where, c)):
            name = ddl.index_name(d, before, index)
            swap.append(ddl.rename_index(d, _shadow_index(steps, t, replace(index, name=name), c, shadow), name))
    restored = [ddl.add_constraint(d, t, name, f"CHECK ({check})") for name, check in ddl.field_checks(d, before, was)]
    fkey = ddl.constraint_name(d, t, [c], "fkey")
    if was.ref and was.ref == field.ref:
        swap.append(ddl.add_constraint(d, t, fkey, ddl.foreign_key_definition(d, was, new), not_valid=True))
    elif was.ref:  # dropped with the column; the caller's ref change owns the new one
        target = next((table.name for table in new.tables if table.renamed_from == was.ref), was.ref)
        restored.append(ddl.add_constraint(d, t, fkey, ddl.foreign_key_definition(d, replace(was, ref=target), new)))
    steps.ddl(f"swap-{t}.{c}", swap, [retype_back, *restored, add_shadow],
              f"Swap {shadow} in for {c} (one short transaction: drop the trigger and the old column, rename, "
              "restore NOT NULL, default, keys and indexes)")
    if was.ref and was.ref == field.ref:
        steps.ddl(f"validate-fkey-{t}.{c}", [ddl.validate_constraint(d, t, fkey)], [],
                  f"Check the references of existing rows of {t} (writes go on)")
    return True


def _shadow_index(steps: Steps, table: str, index: Index, column: str, shadow: str) -> str:
    """Build `index` with the shadow in place of `column`, CONCURRENTLY, under a name of its own; the swap
    gives it the index's name. Returns the name it is built under."""
    d = steps.dialect
    name = ddl.constraint_name(d, "dbbasic", [index.name or ""], "new")
    columns = tuple(replace(i, name=shadow) if i.name == column else i for i in index.columns)
    where = _rename_column(d, index.where, column, shadow) if index.where else None
    built = Index(columns, index.unique, name, where)
    steps.ddl(f"shadow-index-{table}", [ddl.create_index(d, Table(table, ()), built, concurrently=True)],
              [ddl.drop_index(d, name, concurrently=True)], f"Build {name}, {index.name} on {shadow} (writes go on)",
              online=True)
    return name


def _mentions(dialect: Dialect, where: str, column: str) -> bool:
    return any(c.name == column for c in sqlglot.condition(where, dialect=dialect.sqlglot_name).find_all(exp.Column))


def _rename_column(dialect: Dialect, where: str, old: str, new: str) -> str:
    """A partial index's condition with column `old` read as `new`."""
    tree = sqlglot.condition(where, dialect=dialect.sqlglot_name)
    for column in list(tree.find_all(exp.Column)):
        if column.name == old:
            column.set("this", exp.to_identifier(new, quoted=True))
    return tree.sql(dialect=dialect.sqlglot_name)


def _set_default(dialect: Dialect, table: str, field: Field) -> str:
    default = dialect.default_sql(field)
    return ddl.alter_column(dialect, table, field.name, f"SET DEFAULT {default}" if default else "DROP DEFAULT")


def _add_not_null(steps: Steps, table: str, column: str) -> None:
    """NOT NULL without a long lock: a NOT VALID check, validated while writes go on, then SET NOT NULL
    (which PostgreSQL proves from the validated check instead of scanning under ACCESS EXCLUSIVE)."""
    d = steps.dialect
    name = _prove_not_null(steps, table, column)
    steps.ddl(f"not-null-{table}.{column}", [ddl.alter_column(d, table, column, "SET NOT NULL"),
                                             ddl.drop_constraint(d, table, name)],
              [ddl.alter_column(d, table, column, "DROP NOT NULL")], f"Make {table}.{column} NOT NULL")


def _prove_not_null(steps: Steps, table: str, column: str) -> str:
    """The steps that prove a column NOT NULL while writes go on (a NOT VALID check, then validated);
    returns the check's name, which `SET NOT NULL` then relies on and drops."""
    d, q = steps.dialect, steps.dialect.quote
    name = ddl.constraint_name(d, table, [column], "not_null")
    steps.ddl(f"not-null-check-{table}.{column}",
              [ddl.add_constraint(d, table, name, f"CHECK ({q(column)} IS NOT NULL)", not_valid=True)],
              [ddl.drop_constraint(d, table, name)], f"Check {table}.{column} IS NOT NULL for new rows")
    steps.ddl(f"not-null-validate-{table}.{column}", [ddl.validate_constraint(d, table, name)], [],
              f"Prove {table}.{column} IS NOT NULL for existing rows (writes go on)")
    return name


def _add_checks(steps: Steps, table: Table, field: Field) -> None:
    d = steps.dialect
    for name, check in ddl.field_checks(d, table, field):
        steps.ddl(f"check-{table.name}.{field.name}", [ddl.add_constraint(d, table.name, name, f"CHECK ({check})",
                                                                          not_valid=True)],
                  [ddl.drop_constraint(d, table.name, name)], f"Check {table.name}.{field.name} for new rows")
        steps.ddl(f"validate-{table.name}.{field.name}", [ddl.validate_constraint(d, table.name, name)], [],
                  f"Check {table.name}.{field.name} for existing rows (writes go on)")


def _add_ref_and_unique(steps: Steps, table: Table, field: Field, model: DataModel) -> None:
    """The reference and unique key of a field, built online; its `index:` is _change_indexes' to build."""
    d = steps.dialect
    if field.ref:
        name = ddl.constraint_name(d, table.name, [field.name], "fkey")
        clause = ddl.foreign_key_definition(d, field, model)
        steps.ddl(f"fkey-{table.name}.{field.name}", [ddl.add_constraint(d, table.name, name, clause, not_valid=True)],
                  [ddl.drop_constraint(d, table.name, name)], f"Reference {field.ref} from {table.name}.{field.name}")
        steps.ddl(f"validate-fkey-{table.name}.{field.name}", [ddl.validate_constraint(d, table.name, name)], [],
                  f"Check the references of existing rows of {table.name} (writes go on)")
    if field.unique:
        _add_unique(steps, table.name, [field.name])


def _add_unique(steps: Steps, table: str, columns: list[str]) -> None:
    """A unique key without blocking writes: build its index CONCURRENTLY, then attach it as the constraint."""
    d = steps.dialect
    name = ddl.constraint_name(d, table, columns, "key")
    index = Index(tuple(IndexColumn(c) for c in columns), unique=True, name=name)
    target = Table(table, ())
    steps.ddl(f"unique-index-{table}", [ddl.create_index(d, target, index, concurrently=True)],
              [ddl.drop_index(d, name, concurrently=True)], f"Build the unique index {name} (writes go on)",
              online=True)
    steps.ddl(f"unique-{table}", [ddl.add_constraint(d, table, name, f"UNIQUE USING INDEX {d.quote(name)}")],
              [ddl.drop_constraint(d, table, name)], f"Make {name} the unique key of {table}")


def _change_indexes(steps: Steps, before: Table, after: Table, online: bool) -> None:
    d = steps.dialect
    old = {ddl.index_name(d, before, i): i for i in ddl.table_indexes(before)}
    new = {ddl.index_name(d, after, i): i for i in ddl.table_indexes(after)}
    for name, index in new.items():
        if old.get(name) != index:
            if name in old:
                steps.ddl(f"drop-index-{after.name}", [ddl.drop_index(d, name, concurrently=online)],
                          [ddl.create_index(d, before, old[name], concurrently=online)], f"Drop index {name}",
                          online=online)
            steps.ddl(f"index-{after.name}", [ddl.create_index(d, after, index, concurrently=online)],
                      [ddl.drop_index(d, name, concurrently=online)], f"Create index {name}", online=online)
    for name, index in old.items():
        if name not in new:
            steps.ddl(f"drop-index-{after.name}", [ddl.drop_index(d, name, concurrently=online)],
                      [ddl.create_index(d, before, index, concurrently=online)], f"Drop index {name}", online=online)
