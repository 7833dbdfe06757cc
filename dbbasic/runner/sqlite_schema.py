"""Read a SQLite database as a SourceSchema (sql/source_schema.py): what a move to PostgreSQL starts from.

The catalog comes from `pragma_table_list` (which tables are WITHOUT ROWID, virtual or an FTS index's shadow;
SQLite 3.37 or later), `pragma_table_xinfo`, `pragma_foreign_key_list`, `pragma_index_list` and
`pragma_index_xinfo`, and the CREATE TABLE parsed by sqlglot for what no pragma lists (CHECKs, COLLATE,
AUTOINCREMENT). Then ONE pass over each table's rows profiles every column, streamed through
`Database.iterate` so memory stays flat whatever the table's size, and one query per foreign key finds the
rows that refer to nothing (possible whenever `PRAGMA foreign_keys` was off, SQLite's default).

Text is read as its bytes (`CAST(x AS BLOB)`) and decoded here: sqlite3 would stop at the first text that
is not UTF-8, which is exactly what must be found and named. Of a blob only the first bytes are read.
dbbasic's own tables (`dbbasic_history`, ...) and SQLite's (`sqlite_sequence`, ...) are not part of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dbbasic.runner.connect import Database
from dbbasic.runner.read_model import OWN_TABLES, sqlite_checks
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.source_schema import (
    SAMPLE_CHARS,
    STORAGE_CLASSES,
    Check,
    ColumnProfile,
    ForeignKey,
    IndexPart,
    Sample,
    SourceColumn,
    SourceIndex,
    SourceSchema,
    SourceTable,
    decimal_places,
)

_ROWID_NAMES = ("rowid", "_rowid_", "oid")
"""SQLite's names for the rowid; a column of the same name hides one, so the first one free is used."""
_CODECS = {"UTF-8": "utf-8", "UTF-16le": "utf-16-le", "UTF-16be": "utf-16-be"}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
"""An ISO-8601 date, or date-time (group 1), in the extended format PostgreSQL reads."""


def read_sqlite_schema(db: Database) -> SourceSchema:
    """Every table of the database's main schema, with its rows profiled (one streamed pass per table)."""
    [(encoding,)] = db.query("PRAGMA encoding")
    codec = _CODECS[encoding]
    created = dict(db.query("SELECT name, sql FROM main.sqlite_master WHERE type = 'table'"))
    sequences = dict(db.query("SELECT name, seq FROM main.sqlite_sequence")) if "sqlite_sequence" in created else {}
    tables = []
    for name, kind, without_rowid in db.query(
            "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') "
            "ORDER BY name"):
        if name.startswith(("sqlite_", OWN_TABLES)):
            continue
        if kind == "virtual":
            tables.append(SourceTable(name, created[name], (), 0, (), virtual=True))
        else:
            tables.append(_read_table(db, name, created[name], bool(without_rowid), sequences.get(name), codec))
    by_name = {t.name.casefold(): t for t in tables}  # SQLite names match in any case
    return SourceSchema("sqlite", tuple(_checked_references(db, t, by_name, codec) for t in tables), encoding)


def _read_table(db: Database, name: str, create_sql: str, without_rowid: bool, sequence: int | None,
                codec: str) -> SourceTable:
    key = {"name": name}
    collations, checks, autoincrement, unparsed = _from_create_table(db.dialect, create_sql)
    columns = [SourceColumn(column, declared or "", bool(not_null), default, in_key,
                            collations.get(column.casefold()), generated=hidden in (2, 3))
               for column, declared, not_null, default, in_key, hidden in db.query(
                   'SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(%(name)s, \'main\') '
                   "ORDER BY cid", key)]
    indexes = _indexes(db, name)
    primary_key = tuple(c.name for c in sorted(columns, key=lambda c: c.primary_key_position) if c.primary_key_position)
    # A rowid table's key is the rowid itself exactly when SQLite made no index for it.
    rowid_alias = (primary_key[0] if len(primary_key) == 1 and not without_rowid
                   and not any(i.origin == "pk" for i in indexes) else None)
    taken = {c.name.casefold() for c in columns}
    rowid = None if without_rowid else next((n for n in _ROWID_NAMES if n not in taken), None)
    rows = _Rows(db.dialect, name, rowid, rowid_alias, () if rowid else primary_key, codec)
    profiles, row_count = _profile(db, rows, [c.name for c in columns])
    return SourceTable(
        name, create_sql, tuple(replace(c, profile=p) for c, p in zip(columns, profiles, strict=True)), row_count,
        (rowid,) if rowid else primary_key, rowid_alias, autoincrement, sequence, without_rowid,
        foreign_keys=_foreign_keys(db, name), indexes=indexes, checks=checks, unparsed=unparsed)


def _from_create_table(dialect: Dialect, create_sql: str) -> tuple[dict[str, str], tuple[Check, ...], bool, str]:
    """(collation per casefolded column, CHECKs, AUTOINCREMENT, why it could not be read) of a CREATE TABLE.

    The table options after the column list (WITHOUT ROWID, STRICT) are cut off first: sqlglot does not
    parse them, and pragma_table_list says them already."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect.sqlglot_name).tokenize(create_sql)
    except SqlglotError:
        return {}, (), False, "sqlglot could not read its CREATE TABLE"
    autoincrement = any(t.token_type == sqlglot.TokenType.AUTO_INCREMENT for t in tokens)
    depth, end = 0, len(create_sql)
    for token in tokens:
        depth += {sqlglot.TokenType.L_PAREN: 1, sqlglot.TokenType.R_PAREN: -1}.get(token.token_type, 0)
        if token.token_type == sqlglot.TokenType.R_PAREN and depth == 0:
            end = token.end + 1
            break
    columns_sql = create_sql[:end]
    tree = dialect.parse(columns_sql)
    if tree is None:
        return {}, (), autoincrement, "sqlglot could not parse its CREATE TABLE"
    collations = {}
    for column in tree.find_all(exp.ColumnDef):
        collate = column.find(exp.CollateColumnConstraint)
        if collate is not None:
            collations[column.name.casefold()] = collate.this.name.upper()
    found, _ = sqlite_checks(dialect, columns_sql)
    checks = tuple(Check(name, check.sql(dialect=dialect.sqlglot_name)) for name, check in found)
    return collations, checks, autoincrement, ""


def _indexes(db: Database, table: str) -> tuple[SourceIndex, ...]:
    written = dict(db.query("SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = %(name)s",
                            {"name": table}))
    indexes = []
    for name, unique, origin, partial_index in db.query(
            'SELECT name, "unique", origin, partial FROM pragma_index_list(%(name)s, \'main\') ORDER BY name',
            {"name": table}):
        parts = tuple(IndexPart(column if cid >= 0 else None, bool(desc)) for cid, column, desc in db.query(
            'SELECT cid, name, "desc" FROM pragma_index_xinfo(%(name)s, \'main\') WHERE key ORDER BY seqno',
            {"name": name}))
        indexes.append(SourceIndex(name, parts, bool(unique), origin, bool(partial_index), written.get(name)))
    return tuple(indexes)


def _foreign_keys(db: Database, table: str) -> tuple[ForeignKey, ...]:
    """The foreign keys as written: the referenced table and columns in the case the source wrote them
    (resolved by `_checked_references` once every table is read)."""
    found: dict[int, ForeignKey] = {}
    for fk_id, target, source, to, on_update, on_delete in db.query(
            'SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(%(name)s, \'main\') '
            "ORDER BY id, seq", {"name": table}):
        fk = found.setdefault(fk_id, ForeignKey((), target, (), on_update, on_delete))
        found[fk_id] = replace(fk, columns=fk.columns + (source,), to=fk.to + ((to,) if to is not None else ()))
    return tuple(found.values())


def _checked_references(db: Database, table: SourceTable, tables: dict[str, SourceTable], codec: str
                        ) -> SourceTable:
    """The table with its foreign keys naming the referenced table and columns as that table does, and
    the rows that refer to nothing counted. A key to a table or column that is not there stays as written."""
    checked = []
    for fk in table.foreign_keys:
        parent = tables.get(fk.table.casefold())
        names = {c.name.casefold(): c.name for c in parent.columns} if parent is not None else {}
        to = tuple(names.get(c.casefold(), "") for c in fk.to) if fk.to else parent.primary_key if parent else ()
        if parent is None or parent.virtual or not to or "" in to or len(to) != len(fk.columns):
            checked.append(fk)
            continue
        dangling, first = _dangling(db, table, fk.columns, parent.name, to, codec)
        checked.append(replace(fk, table=parent.name, to=to, dangling=dangling, first_dangling=first))
    return replace(table, foreign_keys=tuple(checked))


def _dangling(db: Database, table: SourceTable, columns: tuple[str, ...], parent: str, to: tuple[str, ...],
              codec: str) -> tuple[int, Sample | None]:
    """How many rows of `table` refer to no row of `parent`, and the first of them."""
    q = db.dialect.quote
    rowid = table.row_key[0] if table.row_key and table.column(table.row_key[0]) is None else None
    rows = _Rows(db.dialect, table.name, rowid, table.rowid_alias, () if rowid else table.row_key, codec)
    given = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in columns)
    match = " AND ".join(f"p.{q(t)} = c.{q(c)}" for c, t in zip(columns, to, strict=True))
    values = ", ".join(_value_sql(f"c.{q(c)}") for c in columns)
    count, first = 0, None
    for record in db.iterate(f"SELECT {rows.key_sql('c')}{values} FROM {q(table.name)} AS c WHERE {given} "
                             f"AND NOT EXISTS (SELECT 1 FROM {q(parent)} AS p WHERE {match})"):
        count += 1
        if first is None:
            shown = [_shown(_decoded(v, codec)) for v in record[rows.key_width:]]
            first = Sample(rows.describe(record, count), shown[0] if len(shown) == 1 else tuple(shown))
    return count, first


# -- the profiling pass ------------------------------------------------------------------------------------


def _value_sql(column: str) -> str:
    """A (quoted) column's value as read for profiling: text as its bytes, a blob as its first bytes."""
    return (f"CASE typeof({column}) WHEN 'text' THEN CAST({column} AS BLOB) "
            f"WHEN 'blob' THEN substr({column}, 1, {SAMPLE_CHARS}) ELSE {column} END")


class _Rows:
    """How a table's rows are selected in order and named to a person."""

    def __init__(self, dialect: Dialect, table: str, rowid: str | None, alias: str | None, key: tuple[str, ...],
                 codec: str):
        self.dialect, self.table, self.rowid, self.alias, self.key, self.codec = (
            dialect, table, rowid, alias, key, codec)
        self.key_width = 1 if rowid else len(key)

    def key_sql(self, prefix: str = "") -> str:
        """The select items naming the row (followed by a comma when there are any)."""
        q, dot = self.dialect.quote, f"{prefix}." if prefix else ""
        # the rowid names are SQLite keywords of our own list, never a name read from the database
        items = [f"{dot}{self.rowid}"] if self.rowid else [_value_sql(dot + q(k)) for k in self.key]
        return "".join(f"{item}, " for item in items)

    def order_sql(self) -> str:
        return f" ORDER BY {self.rowid}" if self.rowid else ""

    def describe(self, record: tuple[Any, ...], number: int) -> str:
        if self.rowid:
            return f"{self.alias} = {record[0]}" if self.alias else f"rowid {record[0]}"
        if self.key:
            values = [_shown(_decoded(v, self.codec)) for v in record[: len(self.key)]]
            return ", ".join(f"{k} = {v!r}" for k, v in zip(self.key, values, strict=True))
        return f"row {number} (the table has neither a rowid nor a primary key)"


def _profile(db: Database, rows: _Rows, columns: list[str]) -> tuple[list[ColumnProfile], int]:
    q = db.dialect.quote
    items = ", ".join(f"typeof({q(c)}), {_value_sql(q(c))}" for c in columns)
    scans = [_ColumnScan(rows.codec) for _ in columns]
    adds = [(rows.key_width + 2 * i, rows.key_width + 2 * i + 1, scan.add) for i, scan in enumerate(scans)]
    count = 0
    for record in db.iterate(f"SELECT {rows.key_sql()}{items} FROM {q(rows.table)}{rows.order_sql()}"):
        count += 1
        where = partial(rows.describe, record, count)
        for kind, value, add in adds:
            add(record[kind], record[value], where)
    return [scan.profile() for scan in scans], count


class _ColumnScan:
    """One column's profile, built value by value. The extremes are kept as (value, row) and made Samples
    at the end: in a column that grows with its key every row is a new largest value, and naming a row
    costs more than comparing numbers."""

    def __init__(self, codec: str):
        self.codec = codec
        self.counts = dict.fromkeys(STORAGE_CLASSES, 0)
        self.first: dict[str, Sample] = {}
        self.smallest: tuple[int, Callable[[], str]] | None = None
        self.largest: tuple[int, Callable[[], str]] | None = None
        self.biggest_real: tuple[float, Callable[[], str]] | None = None
        self.finest_real: tuple[int, float, Callable[[], str]] | None = None
        self.max_text_length = 0
        self.iso = {"date": 0, "timestamp": 0}
        self.first_timestamp: Sample | None = None
        self.not_iso: Sample | None = None
        self.not_unicode: Sample | None = None
        self.with_nul: Sample | None = None

    def add(self, kind: str, raw: Any, row: Callable[[], str]) -> None:
        self.counts[kind] += 1
        value = raw
        if kind == "integer":
            if self.smallest is None or raw < self.smallest[0]:
                self.smallest = (raw, row)
            if self.largest is None or raw > self.largest[0]:
                self.largest = (raw, row)
        elif kind == "real":
            if self.biggest_real is None or abs(raw) > abs(self.biggest_real[0]):
                self.biggest_real = (raw, row)
            places = decimal_places(raw)
            if self.finest_real is None or places > self.finest_real[0]:
                self.finest_real = (places, raw, row)
        elif kind == "text":
            value = self._text(raw, row)
        if kind not in self.first:
            self.first[kind] = Sample(row(), _shown(value))

    def _text(self, raw: bytes, row: Callable[[], str]) -> str | bytes:
        try:
            text = raw.decode(self.codec)
        except UnicodeDecodeError:
            self.max_text_length = max(self.max_text_length, len(raw))
            if self.not_unicode is None:
                self.not_unicode = Sample(row(), _shown(raw))
            return raw
        if len(text) > self.max_text_length:
            self.max_text_length = len(text)
        if self.with_nul is None and "\x00" in text:
            self.with_nul = Sample(row(), _shown(text))
        if self.not_iso is None:  # after a text that is no date, the column is no column of dates
            kind = _iso_kind(text)
            if kind is None:
                self.not_iso = Sample(row(), _shown(text))
            else:
                self.iso[kind] += 1
                if kind == "timestamp" and self.first_timestamp is None:
                    self.first_timestamp = Sample(row(), text)
        return text

    def profile(self) -> ColumnProfile:
        def sample(kept: tuple[Any, Callable[[], str]] | None) -> Sample | None:
            return Sample(kept[1](), kept[0]) if kept else None

        finest = sample(self.finest_real[1:]) if self.finest_real else None
        return ColumnProfile(
            self.counts, self.first, sample(self.smallest), sample(self.largest), sample(self.biggest_real), finest,
            self.max_text_length, self.iso["date"], self.iso["timestamp"], self.first_timestamp, self.not_iso,
            self.not_unicode, self.with_nul)


def _iso_kind(text: str) -> str | None:
    """`date` for an ISO-8601 date, `timestamp` for an ISO-8601 date-time (extended format only, as
    PostgreSQL reads it: `2024-01-31`, not `20240131`), None for anything else (`2024-02-30` included)."""
    match = _ISO.fullmatch(text)
    try:
        if match is None:
            return None
        if match.group(1) is None:
            date.fromisoformat(text)
            return "date"
        datetime.fromisoformat(text)
        return "timestamp"
    except ValueError:
        return None


def _decoded(value: Any, codec: str) -> Any:
    """A value read by `_value_sql` as a person would read it (text that does not decode stays bytes)."""
    if isinstance(value, bytes):
        try:
            return value.decode(codec)
        except UnicodeDecodeError:
            return value
    return value


def _shown(value: Any) -> Any:
    return value[:SAMPLE_CHARS] if isinstance(value, (str, bytes)) else value
