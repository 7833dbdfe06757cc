"""Verify a table copied between databases: the same rows on both sides, whatever the engines.

Each row is read on both sides (the source through the expressions its copy selected), its values normalised
by the column's destination type (an integer 0/1 and a boolean, ISO text and a timestamptz, REAL and numeric
compare equal when they hold the same value), and hashed; the hashes are summed, so the comparison does not
depend on the order the engines return rows in, and memory stays flat. Rows are hashed a batch at a time, a
column already in its normal form (integers, text, ...) as it was read. When the counts or the sums differ,
both sides are read again in key order (a table without a key: ordered by the whole row) and merged to name
the first difference: its key, its column and the two values. `sample` rows picked at random from the source
are also compared field by field, by key.

    verdict = verify_table(sqlite_db, pg_db, "Invoice", ("InvoiceId",), columns, sample=100)
    if verdict.difference: print(verdict.difference.describe())
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import islice, repeat
from operator import itemgetter
from typing import Any

from dbbasic.runner.connect import Database

_MOD = 2**64
_BATCH = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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
    """A value as a comparable Python value of the destination type, from either side (a timestamptz: its
    microseconds since 1970-01-01 UTC)."""
    return _normalizer(type_)(value)


@cache
def _normalizer(type_: str) -> Callable[[Any], Any]:
    """`normalize` for one type, chosen once per column rather than once per value."""
    family = _family(type_)
    if family == "timestamp" and (type_.startswith("timestamptz") or "with time zone" in type_):
        return _instant
    return _NORMALIZERS[family]


def _integer(value: Any) -> int | None:
    return None if value is None else int(value)


def _boolean(value: Any) -> bool | None:
    return value if value is None or isinstance(value, bool) else bool(int(value))


def _numeric(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)).normalize())


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    # A number SQLite keeps in a BLOB column reaches bytea as its text (what COPY writes): 5 -> b"5".
    return str(value).encode() if isinstance(value, (int, float, str)) else bytes(value)


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace(" ", "T"))


def _moment_as_written(value: Any) -> str | None:
    return None if value is None else _moment(value).isoformat()


def _instant(value: Any) -> int | None:
    """Microseconds since 1970-01-01 UTC: one number per instant, whatever offset it was written with (none:
    UTC); a number rather than ISO text, as it takes a third of the time to make."""
    if value is None:
        return None
    moment = _moment(value)
    return ((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - _EPOCH) // _MICROSECOND


def _date(value: Any) -> str | None:
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(json.loads(value) if isinstance(value, (str, bytes)) else value, sort_keys=True)


def _uuid(value: Any) -> str | None:
    return None if value is None else str(value).lower()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "integer": _integer, "boolean": _boolean, "numeric": _numeric, "float": _float, "bytea": _bytes,
    "timestamp": _moment_as_written, "date": _date, "json": _json, "uuid": _uuid, "text": _text,
}


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

# The type each family's normaliser returns unchanged, so a column holding only values of it (or NULLs) is
# already normalised.
_KEPT: dict[str, type] = {"integer": int, "boolean": bool, "float": float, "bytea": bytes, "text": str, "date": str}


def _digest(rows: Iterator[tuple[Any, ...]], types: Sequence[str]) -> tuple[int, int]:
    """The row count and the sum of the rows' hashes, which does not depend on the order rows come in.

    A row's hash is Python's hash of the marshal bytes of its normalised values: marshal's format 2 has no
    back-references and writes the type of each value, floats as their IEEE bits, so equal bytes mean equal
    values of equal types; the hash of bytes is SipHash, 64 bits, keyed per process, and both sides are hashed
    in this one."""
    columns = [(itemgetter(i), _normalizer(t), _KEPT.get(_family(t))) for i, t in enumerate(types)]
    count = total = 0
    while batch := list(islice(rows, _BATCH)):
        count += len(batch)
        total += sum(map(hash, map(marshal.dumps, _normalized(batch, columns), repeat(2))))
    return count, total % _MOD


def _normalized(batch: list[tuple[Any, ...]],
                columns: Sequence[tuple[itemgetter[Any], Callable[[Any], Any], type | None]]
                ) -> Iterable[tuple[Any, ...]]:
    """The batch's rows normalised, a column at a time; a column whose values all have the type its
    normaliser returns unchanged (integers read as int, text as str, ...) is taken as it is. (Columns are
    picked by itemgetter, not zip(*batch): that would make an iterator per row, and keep the GC busy.)"""
    as_read = [kept is not None and {*map(type, map(pick, batch))} <= {kept, type(None)}
               for pick, _, kept in columns]
    if all(as_read):
        return batch
    return zip(*(map(pick, batch) if same else map(normalizer, map(pick, batch))
                 for (pick, normalizer, _), same in zip(columns, as_read, strict=True)), strict=True)


def _merge(table: str, columns: Sequence[Compared], positions: Sequence[int], ours: Iterator[tuple[Any, ...]],
           theirs: Iterator[tuple[Any, ...]]) -> Difference | None:
    """The first difference of two row streams in the same key order."""
    normalizers = [_normalizer(c.type) for c in columns]
    left, right = (next(ours, None), next(theirs, None))
    while left is not None or right is not None:
        a = tuple(f(v) for f, v in zip(normalizers, left, strict=True)) if left is not None else None
        b = tuple(f(v) for f, v in zip(normalizers, right, strict=True)) if right is not None else None
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
    normalizers = [_normalizer(c.type) for c in columns]
    where = " AND ".join(f"{dq(k)} = %(k{i})s" for i, k in enumerate(key))
    for row in picked:
        keys = {f"k{i}": row[p] for i, p in enumerate(positions)}
        found = destination.query(f"SELECT {', '.join(dq(c.name) for c in columns)} FROM {dq(table)} WHERE {where}",
                                  keys)
        if not found:
            return Difference(table, tuple(keys.values()), None, row, None)
        for column, x, y, f in zip(columns, row, found[0], normalizers, strict=True):
            if f(x) != f(y):
                return Difference(table, tuple(keys.values()), column.name, x, y)
    return None
