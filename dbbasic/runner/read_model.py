"""Read a live database back as a data model, for `dbbasic diff --from-db`.

The catalog (SQLite's `sqlite_master` and pragmas, PostgreSQL's `pg_catalog`) is read into raw facts,
then each column is described in the spec language by rendering: a description is accepted only when
dbbasic would write exactly what the database has (type, CHECKs, default, identity). The database cannot
tell apart what dbbasic writes alike (`email`, `url` and `text` are all `text`; `index: true` and a
one-column `indexes:` entry are one index), so with `like` (the data model it is compared with) the
model's own description is tried first, and a database made by dbbasic reads back equal to its model.
Without it, the plainest description is taken (`text`).

What the spec language cannot say is never read as something it can: a column of a type dbbasic does
not write (a PostgreSQL `money`, a SQLite `BLOB`) keeps its SQL type as an opaque FieldType (see
`is_opaque`), and a CHECK, default, foreign key or index the model cannot express is listed in
`LiveModel.unexpressed`. Column order is the model's (ADD COLUMN appends, and order is not compared).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dbbasic.runner.connect import Database
from dbbasic.specs.model import SEMANTIC_TYPES, DataModel, Field, FieldType, Index, IndexColumn, Table
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.schema_state import normalize_type

OWN_TABLES = "dbbasic_"
"""dbbasic's own tables (history, a rebuild's temporary table) start so; they are not the data model."""


@dataclass(frozen=True)
class Unexpressed:
    """Something the database has that a data model cannot say."""

    table: str
    column: str | None
    what: str


@dataclass(frozen=True)
class LiveModel:
    model: DataModel
    unexpressed: tuple[Unexpressed, ...]


def is_opaque(ftype: FieldType) -> bool:
    """A column type dbbasic does not write: its name is the SQL type the database reports."""
    return ftype.name not in SEMANTIC_TYPES and ftype.name != "ref"


# -- raw facts, as each database has them ---------------------------------------------------------------


@dataclass
class _Column:
    name: str
    sql_type: str
    not_null: bool
    default: str | None
    identity: bool = False
    generated: bool = False


@dataclass
class _ForeignKey:
    columns: tuple[str, ...]
    table: str
    to: tuple[str, ...]
    """Empty when it points at the key without naming it (SQLite's `REFERENCES t`)."""
    on_delete: str
    on_update: str


@dataclass
class _Index:
    name: str
    columns: tuple[IndexColumn, ...]
    unique: bool
    where: exp.Expression | None
    unreadable: str = ""
    """Why the model cannot say this index (an expression, another method), or ""."""


@dataclass
class _Table:
    name: str
    columns: list[_Column] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    unique: list[tuple[str, ...]] = field(default_factory=list)
    foreign_keys: list[_ForeignKey] = field(default_factory=list)
    checks: list[tuple[str, exp.Expression]] = field(default_factory=list)
    indexes: list[_Index] = field(default_factory=list)
    unexpressed: list[tuple[str | None, str]] = field(default_factory=list)

    def column(self, name: str) -> _Column | None:
        return next((c for c in self.columns if c.name == name), None)


_Described = tuple[FieldType, tuple[str | int, ...], frozenset[str]]
"""A description of a column's type: type, enum values, and the keys of the CHECKs it explains."""

_ON_DELETE = {"CASCADE": "cascade", "RESTRICT": "restrict", "SET NULL": "set_null", "SET DEFAULT": "set_default",
              "NO ACTION": None}


def _read_sqlite(db: Database) -> list[_Table]:
    d = db.dialect
    tables = []
    rows = db.query("SELECT name, sql FROM main.sqlite_master WHERE type = 'table' ORDER BY name")
    for name, create_sql in rows:
        if name.startswith(("sqlite_", OWN_TABLES)):
            continue
        table = _Table(name)
        key = {"name": name}
        pk: list[tuple[int, str]] = []
        for column, sql_type, not_null, default, in_pk, hidden in db.query(
                'SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(%(name)s, \'main\') '
                "ORDER BY cid", key):
            table.columns.append(_Column(column, sql_type or "", bool(not_null), default, generated=hidden in (2, 3)))
            if in_pk:
                pk.append((in_pk, column))
        table.primary_key = tuple(c for _, c in sorted(pk))
        fks: dict[int, _ForeignKey] = {}
        for fk_id, target, source, to, on_update, on_delete in db.query(
                'SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(%(name)s, '
                "'main') ORDER BY id, seq", key):
            fk = fks.setdefault(fk_id, _ForeignKey((), target, (), on_delete, on_update))
            fk.columns += (source,)
            fk.to += (to,) if to is not None else ()
        table.foreign_keys = list(fks.values())
        for index, unique, origin, partial in db.query(
                'SELECT name, "unique", origin, partial FROM pragma_index_list(%(name)s, \'main\') ORDER BY name',
                key):
            parts = db.query('SELECT cid, name, "desc" FROM pragma_index_xinfo(%(name)s, \'main\') WHERE key '
                             "ORDER BY seqno", {"name": index})
            columns = tuple(IndexColumn(c, bool(desc)) for _, c, desc in parts)
            if origin == "u":
                table.unique.append(tuple(c.name for c in columns))
            elif origin == "c":
                found = _Index(index, columns, bool(unique), None)
                if any(cid < 0 for cid, _, _ in parts):
                    found.unreadable = "it indexes an expression"
                elif partial:
                    found.where = _sqlite_index_where(d, db, index)
                    found.unreadable = "" if found.where is not None else "its WHERE could not be read"
                table.indexes.append(found)
        table.checks, unread = sqlite_checks(d, create_sql)
        if unread:
            table.unexpressed.append((None, unread))
        tables.append(table)
    return tables


def _sqlite_index_where(dialect: Dialect, db: Database, index: str) -> exp.Expression | None:
    [(sql,)] = db.query("SELECT sql FROM main.sqlite_master WHERE type = 'index' AND name = %(name)s",
                        {"name": index})
    tree = dialect.parse(sql)
    where = tree.find(exp.Where) if tree is not None else None
    return where.this if isinstance(where, exp.Where) else None


def sqlite_checks(dialect: Dialect, create_sql: str) -> tuple[list[tuple[str, exp.Expression]], str]:
    """The CHECKs written in a table's CREATE TABLE (SQLite keeps no other record of them)."""
    tree = dialect.parse(create_sql)
    if tree is None:
        return [], "a CREATE TABLE that could not be parsed (its CHECKs were not read)"
    checks = []
    for check in tree.find_all(exp.CheckColumnConstraint):
        owner = check.parent
        name = owner.this if isinstance(owner, (exp.ColumnConstraint, exp.Constraint)) else None
        checks.append((name.name if isinstance(name, exp.Identifier) else "", check.this))
    return checks, ""


_PG_COLUMNS = """
SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname, a.attnum
"""
# Each constraint with its columns (and the referenced table and columns) in constraint order.
_PG_CONSTRAINTS = """
SELECT t.relname::text, c.conname::text, c.contype::text, c.convalidated,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       (SELECT f.relname::text FROM pg_catalog.pg_class f WHERE f.oid = c.confrelid),
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),
       c.confdeltype::text, c.confupdtype::text, pg_get_expr(c.conbin, c.conrelid)
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
WHERE t.relnamespace = current_schema()::regnamespace
ORDER BY t.relname, c.conname
"""
# Indexes that back no key; a column number 0 is an expression (its name comes back NULL).
_PG_INDEXES = """
SELECT t.relname::text, i.relname::text, x.indisunique, x.indisvalid, pg_get_expr(x.indpred, x.indrelid),
       am.amname::text, x.indnkeyatts <> x.indnatts,
       ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, i)
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n
             WHERE k.i <= x.indnkeyatts ORDER BY k.i),
       x.indoption::int2[]
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_am am ON am.oid = i.relam
WHERE t.relnamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = x.indexrelid
                  AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u', 'x'))
ORDER BY t.relname, i.relname
"""
_PG_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_PG_DESC, _PG_NULLS_FIRST = 1, 2  # pg_index.indoption bits


def _read_postgres(db: Database) -> list[_Table]:
    d = db.dialect
    tables: dict[str, _Table] = {}
    for name, column, sql_type, not_null, default, identity, generated in db.query(_PG_COLUMNS):
        table = tables.setdefault(name, _Table(name))
        if column is not None:
            table.columns.append(_Column(column, sql_type, not_null, default, identity == "d", bool(generated)))
            if identity == "a":
                table.unexpressed.append((column, "GENERATED ALWAYS AS IDENTITY (dbbasic writes BY DEFAULT)"))
    for name, constraint, kind, valid, columns, target, to, on_delete, on_update, check in db.query(
            _PG_CONSTRAINTS):
        owner = tables.get(name)
        if owner is None or kind == "n":  # PostgreSQL 18 lists NOT NULL as constraints too: read as attnotnull
            continue
        table = owner
        if not valid:
            table.unexpressed.append((None, f"a NOT VALID constraint {constraint} (left by an interrupted plan?)"))
        if kind == "p":
            table.primary_key = tuple(columns)
        elif kind == "u":
            table.unique.append(tuple(columns))
        elif kind == "f":
            table.foreign_keys.append(_ForeignKey(tuple(columns), target, tuple(to),
                                                  _PG_ON_DELETE[on_delete], _PG_ON_DELETE[on_update]))
        elif kind == "c":
            tree = _expression(d, check)
            if tree is None:
                table.unexpressed.append((None, f"a CHECK {constraint} that could not be parsed: {check}"))
            else:
                table.checks.append((constraint, tree))
        else:
            table.unexpressed.append((None, f"constraint {constraint} (of kind {kind})"))
    for name, index, unique, valid, where, method, include, columns, options in db.query(_PG_INDEXES):
        if name not in tables:
            continue
        found = _Index(index, (), unique, None)
        parts = list(zip(columns, options, strict=True))
        found.columns = tuple(IndexColumn(c, bool(o & _PG_DESC)) for c, o in parts if c is not None)
        found.where = _expression(d, where) if where is not None else None
        reasons = [("it indexes an expression", any(c is None for c in columns)),
                   (f"it uses {method}, not btree", method != "btree"),
                   ("it has INCLUDE columns", include),
                   ("it sets its own NULLS FIRST/LAST", any(bool(o & _PG_DESC) != bool(o & _PG_NULLS_FIRST)
                                                            for o in options)),
                   ("it is INVALID (an interrupted CREATE INDEX CONCURRENTLY)", not valid),
                   ("its WHERE could not be read", where is not None and found.where is None)]
        found.unreadable = next((reason for reason, applies in reasons if applies), "")
        tables[name].indexes.append(found)
    return [t for name, t in sorted(tables.items()) if not name.startswith(OWN_TABLES)]


_READERS: dict[str, Callable[[Database], list[_Table]]] = {"sqlite": _read_sqlite, "postgres": _read_postgres}


# -- from raw facts to the data model ------------------------------------------------------------------


def read_model(db: Database, like: DataModel | None = None) -> LiveModel:
    """The data model the database has, described like `like` wherever the database cannot tell the two apart."""
    dialect = db.dialect
    raw = {t.name: t for t in _READERS[dialect.name](db)}
    like = like or DataModel()
    tables, unexpressed = [], []
    for table in raw.values():
        hint = like.table(table.name) or next((t for t in like.tables if t.renamed_from == table.name), None)
        read, notes = _Reader(dialect, table, hint, raw).table()
        tables.append(read)
        unexpressed += [Unexpressed(table.name, column, what) for column, what in table.unexpressed + notes]
    order = {t.name: i for i, t in enumerate(like.tables)} | {t.renamed_from: i for i, t in enumerate(like.tables)
                                                               if t.renamed_from}
    tables.sort(key=lambda t: (order.get(t.name, len(order)), t.name))
    return LiveModel(DataModel(tuple(tables)), tuple(unexpressed))


class _Reader:
    """One table: each column described by the first candidate that renders as the database has it."""

    def __init__(self, dialect: Dialect, table: _Table, hint: Table | None, raw: dict[str, _Table]):
        self.dialect, self.raw, self.hint, self.tables = dialect, table, hint, raw
        self.notes: list[tuple[str | None, str]] = []
        self.sole_key = table.primary_key[0] if len(table.primary_key) == 1 else None
        self.checks: dict[str | None, list[tuple[str, exp.Expression]]] = {}
        for name, check in table.checks:  # a CHECK on one column describes it; any other is the table's
            columns = {c.name for c in check.find_all(exp.Column)}
            owner = next(iter(columns)) if len(columns) == 1 and table.column(next(iter(columns))) else None
            self.checks.setdefault(owner, []).append((name, check))
        self.notes += [(None, _describe_check(dialect, name, check)) for name, check in self.checks.get(None, [])]

    def table(self) -> tuple[Table, list[tuple[str | None, str]]]:
        fields = [self._field(c) for c in self.raw.columns]
        unique, fields = self._unique(fields)
        indexes, fields = self._indexes(fields)
        if self.hint is not None:  # the model's column order; columns it lacks after, in the database's
            place = {f.name: i for i, f in enumerate(self.hint.fields)}
            place |= {f.renamed_from: i for i, f in enumerate(self.hint.fields) if f.renamed_from}
            fields.sort(key=lambda f: place.get(f.name, len(place)))
        return Table(self.raw.name, tuple(fields), self.raw.primary_key, unique, indexes), self.notes

    def _hint_field(self, name: str) -> Field | None:
        if self.hint is None:
            return None
        return self.hint.field(name) or next((f for f in self.hint.fields if f.renamed_from == name), None)

    # -- columns --

    def _field(self, column: _Column) -> Field:
        hint = self._hint_field(column.name)
        in_key = column.name in self.raw.primary_key
        base = Field(column.name, FieldType("text"), required=column.not_null and not in_key)
        if in_key and hint is not None:  # a key is NOT NULL, and the sole key unique, whatever the spec says
            base = replace(base, required=hint.required, unique=hint.unique and column.name == self.sole_key)
        if column.generated:
            self.notes.append((column.name, "a generation expression (GENERATED ALWAYS AS)"))
        checks = self.checks.get(column.name, [])
        fk = next((k for k in self.raw.foreign_keys if k.columns == (column.name,)), None)
        candidates: list[_Described]
        if fk is not None and self._is_ref(fk, column):
            on_delete = _ON_DELETE.get(fk.on_delete.upper())
            if on_delete is None and hint is not None and hint.on_delete in (None, "no_action"):
                on_delete = hint.on_delete  # no ON DELETE and ON DELETE NO ACTION are the same key
            base = replace(base, ref=fk.table, on_delete=on_delete)
            candidates = [(FieldType("ref"), (), frozenset())]
        else:
            candidates = self._types(column, checks, hint)
        if not candidates:
            self.notes.append((column.name, f"type {column.sql_type} (not a type dbbasic writes)"))
            self._unread_checks(column.name, checks, frozenset())
            return replace(base, type=FieldType(normalize_type(self.dialect, column.sql_type) or "(no type)"))
        # The description explaining the most CHECKs, then with a default that renders (a TEXT column with
        # a `now` default is a timestamp); of equals, the first.
        scored = []
        for ftype, values, explained in candidates:
            field = replace(base, type=ftype, values=values)
            typed_hint = hint if hint is not None and (hint.type, hint.values) == (ftype, values) else None
            scored.append((len(explained), self._default(field, column, typed_hint), field, explained))
        _, found, field, explained = max(scored, key=lambda c: (c[0], c[1] is not None))
        self._unread_checks(column.name, checks, explained)
        if found is None:
            self.notes.append((column.name, f"default {column.default}"))
        return found or field

    def _is_ref(self, fk: _ForeignKey, column: _Column) -> bool:
        """Whether a foreign key is what `ref:` writes: one column, to the single-column key of a table
        read here, of that key's type, with no ON UPDATE; otherwise it is noted."""
        target = self.tables.get(fk.table)
        key = target.column(target.primary_key[0]) if target and len(target.primary_key) == 1 else None
        if key is None or fk.to not in ((), (key.name,)):
            self.notes.append((column.name, f"a foreign key to {fk.table} ({', '.join(fk.to)}) that is not its "
                                            "single-column primary key"))
        elif normalize_type(self.dialect, key.sql_type) != normalize_type(self.dialect, column.sql_type):
            self.notes.append((column.name, f"type {column.sql_type}, while the key it refers to is {key.sql_type}"))
        elif fk.on_update.upper() != "NO ACTION":
            self.notes.append((column.name, f"a foreign key with ON UPDATE {fk.on_update}"))
        else:
            return True
        return False

    def _types(self, column: _Column, checks: list[tuple[str, exp.Expression]], hint: Field | None
               ) -> list[_Described]:
        """Each description whose type and identity render as the column's and whose CHECKs are all the
        column's, with the CHECKs it explains: the model's first, then the plainest, then the rest."""
        d = self.dialect
        spelled = normalize_type(d, column.sql_type)
        match = re.fullmatch(r"(.*?)(?:\((\d+(?:, \d+)*)\))?", spelled)
        assert match is not None
        plain = d.READ_TYPES.get(match.group(1))
        if plain is None:
            return []
        args = tuple(int(a) for a in match.group(2).split(", ")) if match.group(2) else ()
        found = {_key(d, c): c for _, c in checks}
        values = next((_in_values(c) for c in found.values() if _in_values(c)), ())
        length = next((n for n in map(_length_limit, found.values()) if n), None)
        names = ["id"] if column.name == self.sole_key else []
        names += [plain, *(n for n, sql in d.TYPE_MAPPING.items() if sql == d.TYPE_MAPPING[plain])]
        described: list[tuple[FieldType, tuple[str | int, ...]]] = [
            (FieldType(n, args if n == "decimal" else (length,) if n == "string" and length else ()),
             values if n == "enum" else ()) for n in dict.fromkeys(names)]
        if hint is not None and hint.ref is None:
            described.insert(0, (hint.type, hint.values))
        result: list[_Described] = []
        for ftype, vals in described:
            if ftype.name == "enum" and not vals:
                continue
            field = Field(column.name, ftype, values=vals)
            identity = ftype.name == "id" and column.name == self.sole_key and bool(d.identity_clause())
            rendered = {_key(d, _expression(d, c)) for c in d.column_checks(column.name, field)}
            if (normalize_type(d, d.column_type(ftype)) == spelled and identity == column.identity
                    and rendered <= set(found)):
                result.append((ftype, vals, frozenset(rendered)))
        return result

    def _unread_checks(self, column: str, checks: list[tuple[str, exp.Expression]], explained: frozenset[str]
                       ) -> None:
        for name, check in checks:
            if _key(self.dialect, check) not in explained:
                self.notes.append((column, _describe_check(self.dialect, name, check)))

    def _default(self, field: Field, column: _Column, hint: Field | None) -> Field | None:
        """The field with the first default (the model's, `now`, the literal) that renders as the column's."""
        d = self.dialect
        is_json = field.type.name == "json"
        wanted = _default_key(d, column.default, is_json)
        tries: list[Any] = [hint.default] if hint is not None else []
        tries += ["now", *_literal_values(d, column.default, field.type.name), None]
        for value in tries:
            candidate = replace(field, default=value)
            rendered = d.default_sql(candidate)
            if rendered is None and column.name == self.sole_key and field.type.name == "uuid":
                rendered = d.uuid_default()
            fits = value != "now" or field.type.name in ("timestamp", "date")
            if fits and _default_key(d, rendered, is_json) == wanted:
                return candidate
        return None

    # -- keys and indexes --

    def _unique(self, fields: list[Field]) -> tuple[tuple[tuple[str, ...], ...], list[Field]]:
        """Unique keys: a one-column key is the field's `unique: true`, unless the model lists it as a group."""
        groups = list(self.hint.unique) if self.hint is not None else []
        found = []
        for columns in self.raw.unique:
            if len(columns) == 1 and columns not in groups and columns != self.raw.primary_key:
                fields = [replace(f, unique=True) if f.name == columns[0] else f for f in fields]
            else:
                found.append(columns)
        found.sort(key=lambda g: groups.index(g) if g in groups else len(groups))
        return tuple(found), fields

    def _indexes(self, fields: list[Field]) -> tuple[tuple[Index, ...], list[Field]]:
        """Indexes as the model writes them (`index: true` or an `indexes:` entry) where it has one that
        creates the same index; as plain entries otherwise."""
        d = self.dialect
        shell = Table(self.raw.name, ())
        own = ddl.table_indexes(self.hint) if self.hint is not None else []
        written = {_index_key(d, ddl.create_index(d, shell, i)): i for i in own}
        indexes: list[Index] = []
        for found in self.raw.indexes:
            if found.unreadable:
                self.notes.append((None, f"index {found.name}: {found.unreadable}"))
                continue
            index = Index(found.columns, found.unique, found.name,
                          _key(d, found.where) if found.where is not None else None)
            if index.name == ddl.index_name(d, shell, replace(index, name=None)):
                index = replace(index, name=None)
            same = written.get(_index_key(d, ddl.create_index(d, shell, index)))
            if same is not None and self.hint is not None and same not in self.hint.indexes:
                fields = [replace(f, index=True) if f.name == same.columns[0].name else f for f in fields]
            else:
                indexes.append(same or index)
        place = {i: n for n, i in enumerate(self.hint.indexes)} if self.hint is not None else {}
        indexes.sort(key=lambda i: (place.get(i, len(place)), ddl.index_name(d, shell, i)))
        return tuple(indexes), fields


# -- SQL compared by meaning ------------------------------------------------------------------------------


def _plain(node: exp.Expression) -> exp.Expression:
    """The expression without what databases add when they store it: parentheses, casts of literals,
    quotes of names; PostgreSQL's `x = ANY (ARRAY[...])` is read as the `x IN (...)` it was written as."""
    if isinstance(node, exp.Paren):
        inner: exp.Expression = node.this
        return inner.transform(_plain)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        return node.this.copy()
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        array = node.expression.this.unnest() if isinstance(node.expression.this, exp.Paren) else node.expression.this
        if isinstance(array, exp.Array):
            return exp.In(this=node.this.transform(_plain),
                          expressions=[e.transform(_plain) for e in array.expressions])
    if isinstance(node, exp.Identifier):
        return exp.to_identifier(node.name)
    return node


def _key(dialect: Dialect, node: exp.Expression | None) -> str:
    """An expression as compared: its plain form."""
    return node.transform(_plain).sql(dialect=dialect.sqlglot_name) if node is not None else ""


def _expression(dialect: Dialect, text: str) -> exp.Expression | None:
    """One SQL expression (a CHECK, a default, an index's WHERE) parsed; None when it does not parse."""
    return _parse_expression(dialect.sqlglot_name, text)


@functools.lru_cache(maxsize=4096)
def _parse_expression(sqlglot_name: str, text: str) -> exp.Expression | None:
    try:
        tree = sqlglot.parse_one(text, read=sqlglot_name)
    except SqlglotError:
        return None
    return tree if isinstance(tree, exp.Expression) else None


def _default_key(dialect: Dialect, text: str | None, is_json: bool) -> str | None:
    """A default as compared: its plain form, a literal by its value (PostgreSQL keeps `-1` as
    `'-1'::bigint`), for json a text literal as canonical JSON."""
    if text is None:
        return None
    tree = _expression(dialect, text)
    if tree is None:
        return " ".join(text.split())
    value = _literal_text(tree.transform(_plain))
    if value is None:
        return tree.transform(_plain).sql(dialect=dialect.sqlglot_name)
    if is_json:
        with contextlib.suppress(ValueError):
            return "json:" + json.dumps(json.loads(value), sort_keys=True, separators=(",", ":"))
    return "literal:" + value


def _literal_text(tree: exp.Expression) -> str | None:
    """The text of a literal (a negative number included); None for any other expression."""
    if isinstance(tree, exp.Neg) and isinstance(tree.this, exp.Literal) and not tree.this.is_string:
        return f"-{tree.this.this}"
    return str(tree.this) if isinstance(tree, exp.Literal) else None


def _literal_values(dialect: Dialect, text: str | None, type_name: str) -> list[Any]:
    """What a default literal may have been written as in a spec, the type's own reading first (the
    rendering decides which it was: SQLite's bool default `1` is `true`, PostgreSQL's `'-1'::integer` is -1)."""
    tree = _expression(dialect, text) if text is not None else None
    if tree is None:
        return []
    tree = tree.transform(_plain)
    if isinstance(tree, exp.Boolean):
        return [tree.this]
    raw = _literal_text(tree)
    if raw is None:
        return []
    values: list[Any] = []
    converters: tuple[Callable[[str], Any], ...] = (*_READ_DEFAULT.get(type_name, ()), str, int, float, json.loads)
    for convert in converters:
        with contextlib.suppress(ValueError, KeyError):
            values.append(convert(raw))
    return values


_READ_DEFAULT: dict[str, tuple[Callable[[str], Any], ...]] = {
    "bool": ({"0": False, "1": True}.__getitem__,),
    "json": (json.loads,),
    **{name: (int,) for name in ("id", "int", "bigint", "ref")},
    **{name: (int, float) for name in ("float", "decimal")},
}


def _describe_check(dialect: Dialect, name: str, check: exp.Expression) -> str:
    return f"CHECK {name + ' ' if name else ''}({_key(dialect, check)})"


def _in_values(check: exp.Expression) -> tuple[str, ...]:
    """The text values of `column IN ('a', 'b')`, as an enum's CHECK lists them."""
    check = check.transform(_plain)
    if isinstance(check, exp.In) and all(isinstance(e, exp.Literal) and e.is_string for e in check.expressions):
        return tuple(str(e.this) for e in check.expressions)
    return ()


def _length_limit(check: exp.Expression) -> int | None:
    """n of `length(column) <= n`, as a string(n)'s CHECK says it."""
    check = check.transform(_plain)
    if isinstance(check, exp.LTE) and isinstance(check.this, exp.Length) and isinstance(check.expression, exp.Literal):
        return int(check.expression.this) if str(check.expression.this).isdigit() else None
    return None


def _index_key(dialect: Dialect, create_index: str) -> str:
    """A CREATE INDEX as compared: its WHERE in plain form (PostgreSQL adds parentheses and casts)."""
    tree = dialect.parse(create_index)
    return tree.transform(_plain).sql(dialect=dialect.sqlglot_name) if tree is not None else create_index
