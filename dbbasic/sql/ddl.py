"""Render schema operations to SQL text for one dialect, one function per operation.

Every identifier goes through `Dialect.quote` and every value through `Dialect.literal`; the only
spec text that reaches SQL otherwise is a partial-index predicate, which is parsed by sqlglot as a
single expression and re-rendered, never pasted.
"""

from __future__ import annotations

import hashlib

import sqlglot
from sqlglot.errors import SqlglotError

from dbbasic.specs.model import DataModel, Field, FieldType, Index, IndexColumn, Table
from dbbasic.sql.dialect import Dialect

ON_DELETE_SQL = {"cascade": "CASCADE", "restrict": "RESTRICT", "set_null": "SET NULL",
                 "set_default": "SET DEFAULT", "no_action": "NO ACTION"}


def constraint_name(dialect: Dialect, table: str, columns: list[str], suffix: str) -> str:
    """PostgreSQL's own naming (`users_email_key`), shortened with a digest when it would not fit."""
    name = "_".join([table, *columns, suffix])
    limit = dialect.max_identifier_bytes or 63
    if len(name.encode()) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    head = name.encode()[: limit - len(suffix) - 10].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"


def column_type(dialect: Dialect, field: Field, model: DataModel) -> FieldType:
    """The semantic type a column stores; a ref stores the type of the key it points to (which may be a ref)."""
    if field.ref is None:
        return field.type
    target = model.table(field.ref)
    assert target is not None and len(target.primary_key) == 1, "validated: ref points at a single-column key"
    key = target.field(target.primary_key[0])
    assert key is not None
    stored = column_type(dialect, key, model)
    return FieldType("bigint") if stored.name == "id" else stored


def relation_names(dialect: Dialect, table: Table) -> list[tuple[str, str]]:
    """(name, what) of the table and of every key and index it creates: they share one namespace."""
    names = [(table.name, f"table {table.name}")]
    if table.primary_key:
        names.append((constraint_name(dialect, table.name, [], "pkey"), f"the primary key of {table.name}"))
    uniques = [[f.name] for f in table.fields if f.unique and (f.name,) != table.primary_key]
    names += [(constraint_name(dialect, table.name, g, "key"), f"a unique key of {table.name}")
              for g in uniques + [list(g) for g in table.unique]]
    names += [(index_name(dialect, table, i), f"an index of {table.name}") for i in table_indexes(table)]
    return names


def table_indexes(table: Table) -> list[Index]:
    """Every index a table asks for: `index: true` fields, then `indexes:`."""
    return [Index((IndexColumn(f.name),)) for f in table.fields if f.index] + list(table.indexes)


def create_table(dialect: Dialect, table: Table, model: DataModel, skip_refs: frozenset[str] = frozenset(),
                 name: str | None = None) -> str:
    """CREATE TABLE with its columns and constraints; refs named in `skip_refs` are added later.
    `name` creates it under another name (SQLite's table rebuild), constraints named as for the table."""
    q = dialect.quote
    lines = [_column(dialect, table, f, model) for f in table.fields]
    if table.primary_key:
        pk = ", ".join(q(c) for c in table.primary_key)
        lines.append(f"CONSTRAINT {q(constraint_name(dialect, table.name, [], 'pkey'))} PRIMARY KEY ({pk})")
    uniques = [[f.name] for f in table.fields if f.unique and (f.name,) != table.primary_key]
    for group in uniques + [list(g) for g in table.unique]:
        cols = ", ".join(q(c) for c in group)
        lines.append(f"CONSTRAINT {q(constraint_name(dialect, table.name, group, 'key'))} UNIQUE ({cols})")
    for field in table.fields:
        if field.ref and field.name not in skip_refs:
            lines.append(foreign_key_clause(dialect, table, field, model))
    for field in table.fields:
        for i, check in enumerate(dialect.column_checks(field.name, field)):
            suffix = "check" if i == 0 else f"check{i + 1}"
            lines.append(f"CONSTRAINT {q(constraint_name(dialect, table.name, [field.name], suffix))} CHECK ({check})")
    body = ",\n".join(f"  {line}" for line in lines)
    return f"CREATE TABLE {q(name or table.name)} (\n{body}\n)"


def _column(dialect: Dialect, table: Table, field: Field, model: DataModel) -> str:
    ftype = column_type(dialect, field, model)
    parts = [dialect.quote(field.name), dialect.column_type(ftype)]
    is_key = (field.name,) == table.primary_key
    if is_key and field.type.name == "id" and dialect.identity_clause():
        parts.append(dialect.identity_clause())
    if field.required or field.name in table.primary_key:
        parts.append("NOT NULL")
    default = dialect.default_sql(field)
    if default is None and is_key and field.type.name == "uuid":
        default = dialect.uuid_default()
    if default is not None:
        parts.append(f"DEFAULT {default}")
    return " ".join(parts)


def foreign_key_clause(dialect: Dialect, table: Table, field: Field, model: DataModel) -> str:
    name = dialect.quote(constraint_name(dialect, table.name, [field.name], "fkey"))
    return f"CONSTRAINT {name} {foreign_key_definition(dialect, field, model)}"


def foreign_key_definition(dialect: Dialect, field: Field, model: DataModel) -> str:
    q = dialect.quote
    target = model.table(field.ref or "")
    assert target is not None
    sql = f"FOREIGN KEY ({q(field.name)}) REFERENCES {q(target.name)} ({q(target.primary_key[0])})"
    if field.on_delete:
        sql += f" ON DELETE {ON_DELETE_SQL[field.on_delete]}"
    return sql


def add_foreign_key(dialect: Dialect, table: Table, field: Field, model: DataModel) -> str:
    return f"ALTER TABLE {dialect.quote(table.name)} ADD {foreign_key_clause(dialect, table, field, model)}"


def drop_foreign_key(dialect: Dialect, table: Table, field: Field) -> str:
    name = constraint_name(dialect, table.name, [field.name], "fkey")
    return f"ALTER TABLE {dialect.quote(table.name)} DROP CONSTRAINT {dialect.quote(name)}"


def index_name(dialect: Dialect, table: Table, index: Index) -> str:
    return index.name or constraint_name(dialect, table.name, [c.name for c in index.columns], "idx")


def create_index(dialect: Dialect, table: Table, index: Index, concurrently: bool = False) -> str:
    q = dialect.quote
    cols = ", ".join(q(c.name) + (" DESC" if c.descending else "") for c in index.columns)
    unique = "UNIQUE " if index.unique else ""
    how = "CONCURRENTLY " if concurrently else ""
    sql = f"CREATE {unique}INDEX {how}{q(index_name(dialect, table, index))} ON {q(table.name)} ({cols})"
    if index.where:
        sql += f" WHERE {predicate(dialect, index.where)}"
    return sql


def drop_table(dialect: Dialect, table: Table) -> str:
    return f"DROP TABLE {dialect.quote(table.name)}"


def predicate(dialect: Dialect, text: str) -> str:
    """A spec's condition (`deleted_at IS NULL`) as one SQL expression, re-rendered by sqlglot."""
    try:
        return sqlglot.condition(text, dialect=dialect.sqlglot_name).sql(dialect=dialect.sqlglot_name)
    except SqlglotError as exc:
        raise ValueError(f"not a single SQL condition: {text!r} ({exc})") from None


# -- changes to existing tables (model diffs) ----------------------------------------------------------------


def rename_table(dialect: Dialect, old: str, new: str) -> str:
    return f"ALTER TABLE {dialect.quote(old)} RENAME TO {dialect.quote(new)}"


def rename_column(dialect: Dialect, table: str, old: str, new: str) -> str:
    q = dialect.quote
    return f"ALTER TABLE {q(table)} RENAME COLUMN {q(old)} TO {q(new)}"


def add_column(dialect: Dialect, table: Table, field: Field, model: DataModel, inline: bool = False) -> str:
    """ADD COLUMN; with `inline`, its CHECKs and reference go with it (SQLite cannot add them later)."""
    sql = f"ALTER TABLE {dialect.quote(table.name)} ADD COLUMN {_column(dialect, table, field, model)}"
    if inline:
        for name, check in field_checks(dialect, table, field):
            sql += f" CONSTRAINT {dialect.quote(name)} CHECK ({check})"
        if field.ref:
            target = model.table(field.ref)
            assert target is not None
            sql += f" REFERENCES {dialect.quote(target.name)} ({dialect.quote(target.primary_key[0])})"
            if field.on_delete:
                sql += f" ON DELETE {ON_DELETE_SQL[field.on_delete]}"
    return sql


def drop_column(dialect: Dialect, table: str, column: str) -> str:
    return f"ALTER TABLE {dialect.quote(table)} DROP COLUMN {dialect.quote(column)}"


def field_checks(dialect: Dialect, table: Table, field: Field) -> list[tuple[str, str]]:
    """(constraint name, condition) of the CHECKs a field carries, named as CREATE TABLE names them."""
    return [(constraint_name(dialect, table.name, [field.name], "check" if i == 0 else f"check{i + 1}"), check)
            for i, check in enumerate(dialect.column_checks(field.name, field))]


def alter_column(dialect: Dialect, table: str, column: str, action: str) -> str:
    """ALTER COLUMN with one of dbbasic's own actions (SET NOT NULL, DROP DEFAULT, TYPE ...)."""
    return f"ALTER TABLE {dialect.quote(table)} ALTER COLUMN {dialect.quote(column)} {action}"


def add_constraint(dialect: Dialect, table: str, name: str, definition: str, not_valid: bool = False) -> str:
    suffix = " NOT VALID" if not_valid else ""
    return f"ALTER TABLE {dialect.quote(table)} ADD CONSTRAINT {dialect.quote(name)} {definition}{suffix}"


def validate_constraint(dialect: Dialect, table: str, name: str) -> str:
    return f"ALTER TABLE {dialect.quote(table)} VALIDATE CONSTRAINT {dialect.quote(name)}"


def drop_constraint(dialect: Dialect, table: str, name: str) -> str:
    return f"ALTER TABLE {dialect.quote(table)} DROP CONSTRAINT IF EXISTS {dialect.quote(name)}"


def drop_index(dialect: Dialect, name: str, concurrently: bool = False) -> str:
    how = "CONCURRENTLY " if concurrently else ""
    return f"DROP INDEX {how}IF EXISTS {dialect.quote(name)}"


REBUILD_PREFIX = "dbbasic_new_"


def rebuild_table(dialect: Dialect, old: Table, new: Table, model: DataModel, sources: dict[str, str]) -> list[str]:
    """SQLite's table rebuild, for what its ALTER TABLE cannot do: create the new shape under a temporary
    name, copy the rows (`sources` maps each new column to the old column it takes its values from), drop
    the old table, rename, recreate the indexes. The runner turns foreign keys off around it and runs
    `PRAGMA foreign_key_check` before it commits."""
    q = dialect.quote
    temporary = REBUILD_PREFIX + new.name
    columns = [f.name for f in new.fields if f.name in sources]
    return [
        create_table(dialect, new, model, name=temporary),
        f"INSERT INTO {q(temporary)} ({', '.join(q(c) for c in columns)}) "
        f"SELECT {', '.join(q(sources[c]) for c in columns)} FROM {q(old.name)}",
        f"DROP TABLE {q(old.name)}",
        rename_table(dialect, temporary, new.name),
        *[create_index(dialect, new, i) for i in table_indexes(new)],
    ]


# -- the online type change (PostgreSQL) ----------------------------------------------------------------------


def rename_index(dialect: Dialect, old: str, new: str) -> str:
    return f"ALTER INDEX {dialect.quote(old)} RENAME TO {dialect.quote(new)}"


def sync_trigger(dialect: Dialect, table: str, name: str, target: str, expression: str, source: str) -> list[str]:
    """A row trigger (and its PL/pgSQL function, both called `name`) that sets `target` to `expression` on
    every INSERT and on every UPDATE of `source`: it keeps a shadow column in step with the column it will
    replace while the rows already there are filled in batches."""
    q = dialect.quote
    body = f"\nBEGIN\n  NEW.{q(target)} := {expression};\n  RETURN NEW;\nEND\n"
    tag = "$dbbasic$"
    while tag in body:  # a quoted name could hold the tag and close the body early
        tag = tag[:-1] + "_$"
    return [f"CREATE FUNCTION {q(name)}() RETURNS trigger LANGUAGE plpgsql AS {tag}{body}{tag}",
            f"CREATE TRIGGER {q(name)} BEFORE INSERT OR UPDATE OF {q(source)} ON {q(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {q(name)}()"]


def drop_sync_trigger(dialect: Dialect, table: str, name: str) -> list[str]:
    q = dialect.quote
    return [f"DROP TRIGGER IF EXISTS {q(name)} ON {q(table)}", f"DROP FUNCTION IF EXISTS {q(name)}()"]


def batch_bound(dialect: Dialect, name: str) -> str:
    """A batch bound (`after`, `upto`) as the dialect writes a named placeholder (`%(after)s`, `:after`)."""
    return str(sqlglot.exp.Placeholder(this=name).sql(dialect=dialect.sqlglot_name))
