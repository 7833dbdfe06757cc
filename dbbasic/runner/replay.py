"""Replay a synced move's change log: the rows the source's log names, written here as the source has them.

    with source.snapshot():                    # or the cutover's write lock
        done = replay_pass(db, source, plan.id, step.log, tables)

A pass takes the log's last position in the caller's transaction on the source, then writes here, in one
transaction with that position, every row named since the position before: the source's row when it still
has one (inserted or updated: an upsert by primary key), a delete when it has not. Rows are read as they are
at that moment, so after the pass this database equals the source at that moment, whatever order the writes
came in; foreign keys (DEFERRABLE in a synced move) are checked at the commit. A pass interrupted anywhere
leaves the last position and its rows, or neither: it is simply run again.

The position lives here (`dbbasic_replay`), beside the rows it describes; the log on the source is only
appended to by its triggers (gaps in `seq` are rolled-back writes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from dbbasic.runner.connect import Database
from dbbasic.runner.verify import Compared, Difference, normalize

POSITIONS = "dbbasic_replay"
_CREATE = f"CREATE TABLE IF NOT EXISTS {POSITIONS} (plan_id text PRIMARY KEY, seq bigint NOT NULL, at text NOT NULL)"
CHUNK = 500
"""Keys read from the source per query (SQLite's limit on bound parameters is 32,766)."""


@dataclass(frozen=True)
class ReplayedTable:
    """One table as the plan's sync and cutover steps describe it (`SyncedTable.as_data`)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    types: tuple[str, ...]
    select: tuple[str, ...]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ReplayedTable:
        return cls(data["table"], tuple(data["key"]), tuple(data["columns"]), tuple(data["types"]),
                   tuple(data["select"]))

    @property
    def key_positions(self) -> list[int]:
        return [self.columns.index(k) for k in self.key]

    def compared(self) -> list[Compared]:
        return [Compared(*c) for c in zip(self.columns, self.types, self.select, strict=True)]


@dataclass(frozen=True)
class Replayed:
    changes: int
    """Entries of the log replayed."""
    upserted: int
    deleted: int
    upto: int
    """The log's position this database now equals the source at."""


def position(db: Database, plan_id: str) -> int:
    """How far the log of `plan_id` is replayed here (0: not at all)."""
    if not db.query(db.dialect.TABLE_EXISTS, {"name": POSITIONS}):
        return 0
    found = db.query(f"SELECT seq FROM {POSITIONS} WHERE plan_id = %(plan)s", {"plan": plan_id})
    return int(found[0][0]) if found else 0


def forget(db: Database, plan_id: str) -> None:
    """Drop the plan's position (rollback: the copy it described is gone); call in a transaction."""
    if db.query(db.dialect.TABLE_EXISTS, {"name": POSITIONS}):
        db.execute(f"DELETE FROM {POSITIONS} WHERE plan_id = %(plan)s", {"plan": plan_id})


def last(source: Database, log: str) -> int:
    """The log's last position (0 when empty)."""
    return int(source.query(f"SELECT coalesce(max(seq), 0) FROM {source.dialect.quote(log)}")[0][0])


def lag(source: Database, log: str, after: int) -> int:
    """Changes in the log after `after`: what a pass would replay now."""
    return int(source.query(f"SELECT count(*) FROM {source.dialect.quote(log)} WHERE seq > %(after)s",
                            {"after": after})[0][0])


def replay_pass(db: Database, source: Database, plan_id: str, log: str, tables: Sequence[ReplayedTable],
                after_writes: Sequence[str] = ()) -> Replayed:
    """Replay every change after this database's position up to the log's last, in the caller's transaction
    on the source; `after_writes` run here in the same transaction (the cutover's identities)."""
    after, upto = position(db, plan_id), last(source, log)
    if upto <= after and not after_writes:
        return Replayed(0, 0, 0, after)
    by_name = {t.name: t for t in tables}
    staged: dict[str, _Staged] = {}
    changes = 0
    with db.transaction():
        db.execute("SET CONSTRAINTS ALL DEFERRED")  # checked at commit: a consistent moment of the source
        for setting in db.dialect.utc_settings():  # converted date-times are UTC text, as in the copy
            db.execute(setting)
        for name, keys in _changed(source, log, after, upto, by_name):
            table = by_name[name]
            if name not in staged:
                staged[name] = _Staged.create(db, table, len(staged))
            staged[name].add(source, keys)
            changes += len(keys)
        deleted = sum(s.delete() for s in staged.values())  # deletes first: a cascade must not hit a row
        upserted = sum(s.upsert() for s in staged.values())  # that is about to be written again
        for statement in after_writes:
            db.execute(statement)
        db.execute(_CREATE)
        db.execute(f"INSERT INTO {POSITIONS} (plan_id, seq, at) VALUES (%(plan)s, %(seq)s, now()::text) "
                   "ON CONFLICT (plan_id) DO UPDATE SET seq = excluded.seq, at = excluded.at",
                   {"plan": plan_id, "seq": upto})
    return Replayed(changes, upserted, deleted, upto)


def changed_keys(source: Database, log: str, table: ReplayedTable, after: int, upto: int
                 ) -> Iterator[tuple[Any, ...]]:
    """The distinct keys of `table` the log names in (after, upto] (for the cutover's check)."""
    q = source.dialect.quote
    columns = ", ".join(f"k{i}" for i in range(1, len(table.key) + 1))
    yield from source.iterate(f"SELECT DISTINCT {columns} FROM {q(log)} WHERE tbl = %(table)s AND seq > %(after)s "
                              "AND seq <= %(upto)s", {"table": table.name, "after": after, "upto": upto})


def compare_rows(source: Database, db: Database, table: ReplayedTable, keys: Iterable[tuple[Any, ...]]
                 ) -> Difference | None:
    """The first row of `keys` that differs between the source and here (values normalised as verify does)."""
    for chunk in _chunks(iter(keys)):
        ours = {_key(r, table): r for r in _source_rows(source, table, chunk)}
        theirs = {_key(r, table): r for r in _rows_here(db, table, chunk)}
        for key in chunk:
            left, right = ours.get(tuple(key)), theirs.get(tuple(key))
            if (left is None) != (right is None):
                return Difference(table.name, tuple(key), None, left, right)
            if left is None or right is None:
                continue
            for column, type_, x, y in zip(table.columns, table.types, left, right, strict=True):
                if normalize(x, type_) != normalize(y, type_):
                    return Difference(table.name, tuple(key), column, x, y)
    return None


class _Staged:
    """A table's changed rows and deleted keys, gathered here in temporary tables until the pass writes them."""

    def __init__(self, db: Database, table: ReplayedTable, rows: str, gone: str):
        self.db, self.table, self.rows, self.gone = db, table, rows, gone

    @classmethod
    def create(cls, db: Database, table: ReplayedTable, n: int) -> _Staged:
        q = db.dialect.quote
        rows, gone = f"dbbasic_replay_rows_{n}", f"dbbasic_replay_gone_{n}"
        for name, columns in ((rows, table.columns), (gone, table.key)):
            db.execute(f"CREATE TEMPORARY TABLE {q(name)} ON COMMIT DROP AS SELECT {', '.join(map(q, columns))} "
                       f"FROM {q(table.name)} WITH NO DATA")
        return cls(db, table, rows, gone)

    def add(self, source: Database, keys: list[tuple[Any, ...]]) -> None:
        found = _source_rows(source, self.table, keys)
        present = {_key(r, self.table) for r in found}
        self.db.copy_rows(self.rows, self.table.columns, found)
        self.db.copy_rows(self.gone, self.table.key, [k for k in keys if tuple(k) not in present])

    def delete(self) -> int:
        q, t = self.db.dialect.quote, self.table
        match = " AND ".join(f"t.{q(k)} = g.{q(k)}" for k in t.key)
        return self.db.execute(f"DELETE FROM {q(t.name)} AS t USING {q(self.gone)} AS g WHERE {match}")

    def upsert(self) -> int:
        q, t = self.db.dialect.quote, self.table
        columns, keys = ", ".join(map(q, t.columns)), ", ".join(map(q, t.key))
        others = [c for c in t.columns if c not in t.key]
        action = ("DO UPDATE SET " + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in others)) if others else "DO NOTHING"
        # A key named twice in the log was read twice, at the same moment: either row will do.
        return self.db.execute(f"INSERT INTO {q(t.name)} ({columns}) SELECT DISTINCT ON ({keys}) {columns} "
                               f"FROM {q(self.rows)} ON CONFLICT ({keys}) {action}")


def _changed(source: Database, log: str, after: int, upto: int, tables: dict[str, ReplayedTable]
             ) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(table, distinct keys) in chunks, as the log names them in (after, upto]."""
    width = max(len(t.key) for t in tables.values())
    columns = ", ".join(f"k{i}" for i in range(1, width + 1))
    pending: dict[str, dict[tuple[Any, ...], None]] = {}
    for name, *key in source.iterate(f"SELECT tbl, {columns} FROM {source.dialect.quote(log)} "
                                     "WHERE seq > %(after)s AND seq <= %(upto)s ORDER BY seq",
                                     {"after": after, "upto": upto}):
        if name not in tables:
            continue  # a table the plan does not move (the log's triggers are only on those it does)
        keys = pending.setdefault(name, {})
        keys[tuple(key[:len(tables[name].key)])] = None
        if len(keys) >= CHUNK:
            yield name, list(pending.pop(name))
    for name, keys in pending.items():
        yield name, list(keys)


def _source_rows(source: Database, table: ReplayedTable, keys: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    if not keys:
        return []
    q = source.dialect.quote
    return source.query(f"SELECT {', '.join(table.select)} FROM {q(table.name)} WHERE {_in(q, table.key, keys)}",
                        _params(keys))


def _rows_here(db: Database, table: ReplayedTable, keys: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    q = db.dialect.quote
    return db.query(f"SELECT {', '.join(map(q, table.columns))} FROM {q(table.name)} "
                    f"WHERE {_in(q, table.key, keys)}", _params(keys))


def _in(quote: Any, key: Sequence[str], keys: Sequence[tuple[Any, ...]]) -> str:
    rows = ", ".join("(" + ", ".join(f"%(k{n}_{i})s" for i in range(len(key))) + ")" for n in range(len(keys)))
    return f"({', '.join(map(quote, key))}) IN (VALUES {rows})"


def _params(keys: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    return {f"k{n}_{i}": value for n, key in enumerate(keys) for i, value in enumerate(key)}


def _key(row: tuple[Any, ...], table: ReplayedTable) -> tuple[Any, ...]:
    return tuple(row[p] for p in table.key_positions)


def _chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk
