"""Verify a table copied between databases: the same rows on both sides, whatever the engines.

Each row is read on both sides (the source through the expressions its copy selected), its values normalised
by the column's destination type (an integer 0/1 and a boolean, ISO text and a timestamptz, REAL and numeric
compare equal when they hold the same value), and digested; the digests are summed, so the comparison does
not depend on the order the engines return rows in, and memory stays flat. When the counts or the sums differ,
both sides are read again in key order (a table without a key: ordered by the whole row) and merged to name
the first difference: its key, its column and the two values. `sample` rows picked at random from the source
are also compared field by field, by key.

    verdict = verify_table(sqlite_db, pg_db, "Invoice", ("InvoiceId",), columns, sample=100)
    if verdict.difference: print(verdict.difference.describe())
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from dbbasic.runner.connect import Database

_MOD = 2**64


@dataclass(frozen=True)
class Compared:
    """A column as both sides hold it: its name here, its destination type, and what the source selects."""

    name: str
    type: str
    source_sql: str


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...] | None
    """The row's key; None when the row exists on one side only (then the missing side's value is None)."""
    column: str | None
    source: Any
    destination: Any

    def describe(self) -> str:
        where = f"{self.table} key {self.key!r}"
        if self.column is None:
            side = "the source only" if self.destination is None else "the destination only"
            return f"{where}: the row is in {side}: {self.source if self.destination is None else self.destination!r}"
        return f"{where}, column {self.column}: source {self.source!r}, destination {self.destination!r}"


@dataclass(frozen=True)
class TableVerdict:
    table: str
    rows: int
    """Rows read from the source."""
    difference: Difference | None
    """The first difference found, or None when the table is the same on both sides."""


def verify_table(source: Database, destination: Database, table: str, key: Sequence[str],
                 columns: Sequence[Compared], sample: int = 0,
                 in_source_snapshot: Callable[[], object] | None = None) -> TableVerdict:
    """Compare `table` on both sides: counts and an order-independent checksum of every row, then `sample`
    random rows by key; the first difference is named (located by a merge in key order). Each side is read in
    one snapshot. `in_source_snapshot` runs once the source's snapshot is taken and before the destination's:
    a synced move replays the source's changes there, so both sides are read at the same moment."""
    with source.snapshot():
        if in_source_snapshot is not None:
            in_source_snapshot()
        with destination.snapshot():
            return _verify(source, destination, table, key, columns, sample)


def _verify(source: Database, destination: Database, table: str, key: Sequence[str], columns: Sequence[Compared],
            sample: int) -> TableVerdict:
    sq, dq = source.dialect.quote, destination.dialect.quote
    types = [c.type for c in columns]
    source_sql = f"SELECT {', '.join(c.source_sql for c in columns)} FROM {sq(table)}"
    destination_sql = f"SELECT {', '.join(dq(c.name) for c in columns)} FROM {dq(table)}"
    rows, theirs = _digest(source.iterate(source_sql), types), _digest(destination.iterate(destination_sql), types)
    # Rows are located by their key; a table without one, by the whole row.
    positions = [next(i for i, c in enumerate(columns) if c.name == k) for k in key] or list(range(len(columns)))
    if rows != theirs:
        # Both sides in the same order: the source by the values it selects (as converted), the destination
        # in byte order with NULLs first, as SQLite orders.
        order_source = ", ".join(str(p + 1) for p in positions)
        order_destination = ", ".join(
            dq(columns[p].name) + (' COLLATE "C"' if _family(types[p]) == "text" else "") + " NULLS FIRST"
            for p in positions)
        found = _merge(table, columns, positions,
                       source.iterate(f"{source_sql} ORDER BY {order_source}"),
                       destination.iterate(f"{destination_sql} ORDER BY {order_destination}"))
        return TableVerdict(table, rows[0], found)
    return TableVerdict(table, rows[0], _sampled(source, destination, table, key, columns, positions, sample)
                        if sample and key else None)


def normalize(value: Any, type_: str) -> Any:
    """A value as a comparable Python value of the destination type, from either side."""
    if value is None:
        return None
    family = _family(type_)
    if family == "integer":
        return int(value)
    if family == "boolean":
        return bool(int(value)) if not isinstance(value, bool) else value
    if family == "numeric":
        return str(Decimal(str(value)).normalize())
    if family == "float":
        return float(value)
    if family == "bytea":
        return bytes(value)
    if family == "timestamp":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace(" ", "T"))
        if type_.startswith("timestamptz") or "with time zone" in type_:
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        return moment.isoformat()
    if family == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if family == "json":
        return json.dumps(json.loads(value) if isinstance(value, (str, bytes)) else value, sort_keys=True)
    if family == "uuid":
        return str(value).lower()
    return str(value)


def _family(type_: str) -> str:
    name = type_.lower().split("(")[0].strip()
    for family, names in _FAMILIES.items():
        if name in names:
            return family
    return "text"


_FAMILIES = {
    "integer": ("smallint", "integer", "bigint", "int", "int2", "int4", "int8"),
    "boolean": ("boolean", "bool"), "numeric": ("numeric", "decimal"),
    "float": ("real", "double precision", "float4", "float8"), "bytea": ("bytea",),
    "timestamp": ("timestamptz", "timestamp", "timestamp with time zone", "timestamp without time zone"),
    "date": ("date",), "json": ("json", "jsonb"), "uuid": ("uuid",),
}


def _digest(rows: Iterator[tuple[Any, ...]], types: Sequence[str]) -> tuple[int, int]:
    count = total = 0
    for row in rows:
        normalized = tuple(normalize(v, t) for v, t in zip(row, types, strict=True))
        total = (total + int.from_bytes(hashlib.blake2b(repr(normalized).encode(), digest_size=8).digest())) % _MOD
        count += 1
    return count, total


def _merge(table: str, columns: Sequence[Compared], positions: Sequence[int], ours: Iterator[tuple[Any, ...]],
           theirs: Iterator[tuple[Any, ...]]) -> Difference | None:
    """The first difference of two row streams in the same key order."""
    types = [c.type for c in columns]
    left, right = (next(ours, None), next(theirs, None))
    while left is not None or right is not None:
        a = tuple(normalize(v, t) for v, t in zip(left, types, strict=True)) if left is not None else None
        b = tuple(normalize(v, t) for v, t in zip(right, types, strict=True)) if right is not None else None
        key_a = _ordered(a, positions) if a is not None else None
        key_b = _ordered(b, positions) if b is not None else None
        if key_b is None or (key_a is not None and key_a < key_b):
            return Difference(table, _key(a, positions), None, left, None)
        if key_a is None or key_b < key_a:
            return Difference(table, _key(b, positions), None, None, right)
        assert a is not None and b is not None and left is not None and right is not None  # same key on both sides
        for column, x, y, raw_x, raw_y in zip(columns, a, b, left, right, strict=True):
            if x != y:
                return Difference(table, _key(a, positions), column.name, raw_x, raw_y)
        left, right = next(ours, None), next(theirs, None)
    return None


def _ordered(row: tuple[Any, ...], positions: Sequence[int]) -> tuple[tuple[bool, Any], ...]:
    """A row's place in the merge: its key values, NULL first."""
    return tuple((row[p] is not None, row[p]) for p in positions)


def _key(row: tuple[Any, ...] | None, positions: Sequence[int]) -> tuple[Any, ...]:
    assert row is not None
    return tuple(row[p] for p in positions)


def _sampled(source: Database, destination: Database, table: str, key: Sequence[str], columns: Sequence[Compared],
             positions: Sequence[int], sample: int) -> Difference | None:
    """`sample` random rows of the source compared with the destination's rows of the same key."""
    sq, dq = source.dialect.quote, destination.dialect.quote
    picked = source.query(f"SELECT {', '.join(c.source_sql for c in columns)} FROM {sq(table)} "
                          f"ORDER BY random() LIMIT {int(sample)}")
    types = [c.type for c in columns]
    where = " AND ".join(f"{dq(k)} = %(k{i})s" for i, k in enumerate(key))
    for row in picked:
        keys = {f"k{i}": row[p] for i, p in enumerate(positions)}
        found = destination.query(f"SELECT {', '.join(dq(c.name) for c in columns)} FROM {dq(table)} WHERE {where}",
                                  keys)
        if not found:
            return Difference(table, tuple(keys.values()), None, row, None)
        for column, x, y, t in zip(columns, row, found[0], types, strict=True):
            if normalize(x, t) != normalize(y, t):
                return Difference(table, tuple(keys.values()), column.name, x, y)
    return None
