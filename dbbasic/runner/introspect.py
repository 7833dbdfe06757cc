"""Read the shape of tables from a live database, in the format a plan records its expectations in.

The runner compares `live_fingerprint` with the fingerprint a plan was compiled against
(`sql/schema_state.py`) before it runs a statement, and `describe_difference` says what is off in words a
person can act on. Table names are data here: they are bound as parameters, never pasted into SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from dbbasic.runner.connect import Database
from dbbasic.sql.schema_state import Column, Fingerprint, normalize_type

# Columns of ordinary and partitioned tables in the current schema, in table order; a table without
# columns still gives one row (with NULLs) so that it counts as present.
_POSTGRES_COLUMNS = """
SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname::text = ANY(%(names)s)
ORDER BY c.relname, a.attnum
"""
# `main`: a temporary table of the same name would otherwise shadow the real one.
_SQLITE_TABLE = "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name = %(name)s COLLATE NOCASE"
_SQLITE_COLUMNS = 'SELECT name, type, "notnull" FROM pragma_table_info(%(name)s, \'main\') ORDER BY cid'


def live_fingerprint(db: Database, tables: Iterable[str]) -> Fingerprint:
    """The shape of each of `tables` (plain names) as the database has it now; None for a missing table."""
    names = list(dict.fromkeys(tables))
    found = _READERS[db.dialect.name](db, names) if names else {}
    return {name: [[c[0], c[1], c[2]] for c in found[name]] if name in found else None for name in names}


def _postgres_columns(db: Database, names: list[str]) -> dict[str, list[Column]]:
    found: dict[str, list[Column]] = {}
    for table, column, type_sql, not_null in db.query(_POSTGRES_COLUMNS, {"names": names}):
        columns = found.setdefault(table, [])
        if column is not None:
            columns.append((column, normalize_type(db.dialect, type_sql), not not_null))
    return found


def _sqlite_columns(db: Database, names: list[str]) -> dict[str, list[Column]]:
    found: dict[str, list[Column]] = {}
    for name in names:
        if db.query(_SQLITE_TABLE, {"name": name}):
            found[name] = [(column, normalize_type(db.dialect, type_sql or ""), not not_null)
                           for column, type_sql, not_null in db.query(_SQLITE_COLUMNS, {"name": name})]
    return found


_READERS: dict[str, Callable[[Database, list[str]], dict[str, list[Column]]]] = {
    "postgres": _postgres_columns,
    "sqlite": _sqlite_columns,
}


def describe_difference(expected: Mapping[str, list[list[str | bool]] | None],
                        found: Mapping[str, list[list[str | bool]] | None]) -> list[str]:
    """What differs between an expected and a found fingerprint, one line per difference.

    Only the tables in `expected` that `found` has an entry for are compared. The list is empty exactly
    when those entries are equal (column order included)."""
    lines: list[str] = []
    for table, want in expected.items():
        if table not in found:
            continue
        have = found[table]
        if want is None and have is not None:
            lines.append(f"table {table} should not exist yet")
        elif want is not None and have is None:
            lines.append(f"table {table} is missing")
        elif want is not None and have is not None:
            lines += [f"table {table}: {line}" for line in _column_differences(want, have)]
    return lines


def _column_differences(want: list[list[str | bool]], have: list[list[str | bool]]) -> list[str]:
    expected = {str(c[0]): (str(c[1]), bool(c[2])) for c in want}
    actual = {str(c[0]): (str(c[1]), bool(c[2])) for c in have}
    lines = []
    for name, (want_type, want_null) in expected.items():
        if name not in actual:
            lines.append(f"column {name} is missing")
            continue
        have_type, have_null = actual[name]
        if have_type != want_type:
            lines.append(f"column {name} is {_show(have_type)}, expected {_show(want_type)}")
        if have_null != want_null:
            lines.append(f"column {name} allows NULL, expected NOT NULL" if have_null
                         else f"column {name} is NOT NULL, expected it to allow NULL")
    lines += [f"column {name} exists but was not expected" for name in actual if name not in expected]
    want_order = [name for name in expected if name in actual]
    have_order = [name for name in actual if name in expected]
    if want_order != have_order:
        lines.append(f"columns are in the order {', '.join(have_order)}, expected {', '.join(want_order)}")
    return lines


def _show(type_sql: str) -> str:
    return type_sql or "untyped"


def table_rows(db: Database, tables: Iterable[str]) -> dict[str, int]:
    """The database's own estimate of each table's rows, where it keeps one (never a full count)."""
    names = sorted(set(tables))
    if not db.dialect.TABLE_ROWS or not names:
        return {}
    return {str(name): int(rows) for name, rows in db.query(db.dialect.TABLE_ROWS, {"names": names})}
