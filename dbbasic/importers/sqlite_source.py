"""A table (or view) of another SQLite database, opened read-only. `line` is the rowid, so a resumed import
asks for `rowid > after_line`; a WITHOUT ROWID table or a view has none, and its rows are counted from 1 in
the order SQLite scans them (a WITHOUT ROWID table: its primary key). Values become text: integers and reals
as Python writes them, text as it is, a BLOB as its text when it is UTF-8 and else as `\\x` and its hex
digits (PostgreSQL's bytea form); text that is not UTF-8 makes the row a problem rather than a guess.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

from dbbasic.importers.headers import column_names
from dbbasic.importers.source import SourceError, SourceFormat, SourceRow

_ROWID_NAMES = ("rowid", "_rowid_", "oid")
"""SQLite's names for the rowid; a column of the same name hides one, so the first one free is used."""


class _NotUtf8(str):
    """Text stored in the database that is not UTF-8, decoded as latin-1 to show it."""


def _text_factory(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _NotUtf8(data.decode("latin-1"))


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    connection.text_factory = _text_factory
    return connection


def _quoted(name: str) -> str:
    # SQLite's quoting of an identifier (the importers import nothing from dbbasic.sql)
    return '"' + name.replace('"', '""') + '"'


def detect(path: Path, table: str | None) -> SourceFormat:
    try:
        with closing(_connect(path)) as db:
            tables = _names(db, "table")
            views = _names(db, "view")
            if table is None:
                if len(tables) != 1:
                    choices = ", ".join(tables + views)
                    raise SourceError(f"{path}: {'several tables' if tables else 'no table'} in this database"
                                      + (f": set `table:` to one of {choices}" if choices else ""))
                table = tables[0]
            elif table not in tables + views:
                raise SourceError(f"{path}: no table {table!r} in this database (there are: "
                                  f"{', '.join(tables + views) or 'none'})")
            columns = _columns(db, table)
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"{path}: cannot be read as an SQLite database ({exc}): set `format:` if it is "
                          "CSV or JSON Lines") from None
    return SourceFormat("sqlite", table=table, columns=column_names(columns))


def _names(db: sqlite3.Connection, kind: str) -> list[str]:
    return [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        (kind,))]


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    cursor = db.execute(f"SELECT * FROM {_quoted(table)} LIMIT 0")
    return [d[0] for d in cursor.description]


def _rowid(db: sqlite3.Connection, table: str, columns: list[str]) -> str | None:
    """The name that reads `table`'s rowid, or None (a WITHOUT ROWID table, a view)."""
    if table in _names(db, "view"):
        return None
    for name in _ROWID_NAMES:
        if name not in {c.casefold() for c in columns}:
            try:
                db.execute(f"SELECT {name} FROM {_quoted(table)} LIMIT 0")
            except sqlite3.OperationalError:
                return None
            return name
    return None


def read_rows(path: Path, fmt: SourceFormat, after_line: int = 0) -> Iterator[SourceRow]:
    with closing(_connect(path)) as db:
        columns = _columns(db, fmt.table)
        if column_names(columns) != fmt.columns:
            raise SourceError(f"{path}: table {fmt.table!r} now has the columns {', '.join(columns)}; the plan "
                              f"was compiled for {', '.join(fmt.columns)}: compile the plan again")
        rowid = _rowid(db, fmt.table, columns)
        if rowid is None:
            cursor = db.execute(f"SELECT * FROM {_quoted(fmt.table)}")
            numbered = ((n, row) for n, row in enumerate(cursor, 1) if n > after_line)
        else:
            cursor = db.execute(f"SELECT {rowid}, * FROM {_quoted(fmt.table)} WHERE {rowid} > ? ORDER BY {rowid}",
                                (after_line,))
            numbered = ((row[0], row[1:]) for row in cursor)
        for number, values in numbered:
            yield _row(number, fmt.columns, values)


def _row(line: int, columns: tuple[str, ...], values: tuple[object, ...]) -> SourceRow:
    text = {column: _text(value) for column, value in zip(columns, values, strict=True)}
    raw = json.dumps(text, ensure_ascii=False)
    garbled = [column for column, value in zip(columns, values, strict=True) if isinstance(value, _NotUtf8)]
    if garbled:
        return SourceRow(line, {}, raw, f"{', '.join(garbled)}: text that is not UTF-8 (shown here as latin-1): "
                                        "fix it in the database")
    return SourceRow(line, text, raw)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "\\x" + value.hex()
    return repr(value) if isinstance(value, float) else str(value)
