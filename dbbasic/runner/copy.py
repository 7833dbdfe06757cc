"""Run a copy step: rows from a source table (on another target, or this database) into a table here.

Rows are read in key order after the checkpoint, a batch at a time, and written with the checkpoint in
one transaction of the destination: a crash leaves the batch and its checkpoint or neither, so the
next apply goes on with the next row, none lost, none twice. A batch is read in chunks, each up to a key
found first (so rows come without their key), and sized to take about `target_ms`.

A PostgreSQL destination takes each batch as one COPY, binary when the types of its columns allow it, sent
chunk by chunk by a thread of its own while the next chunks are read and formatted: the source, this process
and the server work at once, and memory holds a few chunks, not a batch.
"""

from __future__ import annotations

import io
import itertools
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from dbbasic.plan.model import CopyStep, Plan
from dbbasic.runner import history
from dbbasic.runner.batches import next_size
from dbbasic.runner.connect import Database, PostgresDatabase
from dbbasic.runner.events import Emit, Event

Rows = list[tuple[Any, ...]]

CHUNK_ROWS = 10_000
"""Rows read, formatted and sent at a time."""

QUEUED_CHUNKS = 4
"""Chunks formatted ahead of the COPY that takes them: enough to keep the server busy, few enough to stay small."""

# The types whose binary form psycopg writes from one kind of Python value only (int; int or float; str; bytes) and
# refuses any other: what is stored is what a text COPY would have parsed. A chunk holding a value of another kind
# (SQLite lets text into an integer column) goes as text, and the server decides, as it always did.
BINARY_TYPES = frozenset({"bigint", "double precision", "text", "character varying", "bytea"})

# PostgreSQL's binary COPY framing (its documentation, "Binary Format"): each chunk is formatted alone, without it.
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # then flags and header extension length: 0 and 0
TRAILER = b"\xff\xff"


class CopyMismatch(Exception):
    """The destination did not take as many rows as were read."""


class KeyWithoutValue(Exception):
    """A row of the source has no value in the key that orders the copy and checkpoints it."""


@dataclass(frozen=True)
class Written:
    """A batch committed with its checkpoint."""

    rows: int
    upto: Any
    seconds: float
    """From its first row sent to its commit: how long the batch held its locks."""


class Destination(Protocol):
    def send(self, rows: Rows, upto: Any) -> None:
        """Add a chunk to the batch being written; `upto` is the key of its last row."""
    def commit(self) -> None:
        """End the batch (if a chunk was sent since the last): its rows and its checkpoint commit together."""
    def written(self, wait: bool = False) -> list[Written]:
        """The batches committed since last asked, in order; with `wait`, after every batch is."""


def run_copy(db: Database, source: Database, plan: Plan, step: CopyStep, record: history.StepRecord | None,
             emit: Emit) -> tuple[int, int]:
    """Copy the rows not yet copied; return (rows written, rows read) over the whole step."""
    written = record.rows_touched if record else 0
    read = (record.rows_expected or 0) if record else 0
    reached: Any = json.loads(record.checkpoint) if record and record.checkpoint else None
    if reached is None:
        _refuse_keys_without_value(source, step)
    total = read + _count(source, step, reached)
    size, started = step.batch_rows, time.monotonic()

    def account(batches: list[Written]) -> None:
        nonlocal written, read, size
        for batch in batches:
            written, read = written + batch.rows, read + batch.rows
            size = next_size(size, batch.seconds, step.target_ms)
            emit(Event("batch", plan.id, step.id, step.kind, rows=written, expected=max(total, read),
                       elapsed=time.monotonic() - started, checkpoint=batch.upto))

    with _destination(db, source, _Checkpoints(db, plan, step, written, read)) as into:
        left = size
        while (chunk := _read(source, step, reached, min(left, CHUNK_ROWS))) is not None:
            rows, reached = chunk
            into.send(rows, reached)
            left -= len(rows)
            if left <= 0:
                into.commit()
                account(into.written())  # the batch before this one, usually: sizes follow one batch late
                left = size
        into.commit()
        account(into.written(wait=True))
    with db.transaction():
        history.record(db, plan, step, "applied", rows=written, expected=read,
                       checkpoint=json.dumps(reached) if reached is not None else None)
    return written, read


def _read(source: Database, step: CopyStep, after: Any, size: int) -> tuple[Rows, Any] | None:
    """About `size` rows after the key `after` (each column as the source selects it) and the key of the
    last; None when there are none. Rows written into the range meanwhile come too: the next read starts
    after that key."""
    sq = source.dialect.quote
    table, order = sq(step.table), ", ".join(sq(k) for k in step.keys)
    where, params = _after(source, step, after)
    bound = (source.query(f"SELECT {order} FROM {table} WHERE {where} ORDER BY {order} LIMIT 1 OFFSET {size - 1}",
                          params)
             or source.query(f"SELECT {order} FROM {table} WHERE {where} ORDER BY "
                             f"{', '.join(sq(k) + ' DESC' for k in step.keys)} LIMIT 1", params))
    if not bound:
        return None
    upto = [v if isinstance(v, (int, float, str)) else str(v) for v in bound[0]]  # as the checkpoint's JSON
    upto_sql, upto_params = _compared(source, step, "<=", upto, "u")
    columns = ", ".join(step.select or (sq(c) for c in step.columns))
    rows = source.query(f"SELECT {columns} FROM {table} WHERE {where} AND {upto_sql} ORDER BY {order}",
                        {**params, **upto_params})
    return rows, upto if step.then_by else upto[0]


def _after(source: Database, step: CopyStep, after: Any) -> tuple[str, dict[str, Any]]:
    """The condition on the rows after the checkpoint `after` (None: every row with a key), and its parameters."""
    if after is None:
        return " AND ".join(f"{source.dialect.quote(k)} IS NOT NULL" for k in step.keys), {}
    return _compared(source, step, ">", after if step.then_by else [after], "a")


def _compared(source: Database, step: CopyStep, operator: str, values: list[Any], prefix: str
              ) -> tuple[str, dict[str, Any]]:
    """The key compared with `values`: a row value when the key has several columns (ordered as ORDER BY is)."""
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    keys, marks = [source.dialect.quote(k) for k in step.keys], [f"%({p})s" for p in params]
    if len(keys) == 1:
        return f"{keys[0]} {operator} {marks[0]}", params
    return f"({', '.join(keys)}) {operator} ({', '.join(marks)})", params


def _count(source: Database, step: CopyStep, after: Any) -> int:
    """The rows left to copy, for the progress events."""
    where, params = _after(source, step, after)
    return int(source.query(f"SELECT count(*) FROM {source.dialect.quote(step.table)} WHERE {where}", params)[0][0])


def _refuse_keys_without_value(source: Database, step: CopyStep) -> None:
    """Batches are ranges of the key: a row without one would be in none of them."""
    sq = source.dialect.quote
    if source.query(f"SELECT 1 FROM {sq(step.table)} WHERE {' OR '.join(f'{sq(k)} IS NULL' for k in step.keys)} "
                    "LIMIT 1"):
        raise KeyWithoutValue(f"{step.table}.{step.key}, the key the copy walks, is NULL in some rows: "
                              "each row needs a value there")


class _Checkpoints:
    """Commits a batch with the step's history row, which counts every row committed so far."""

    def __init__(self, db: Database, plan: Plan, step: CopyStep, written: int, read: int):
        self.db, self.plan, self.step = db, plan, step
        self.written, self.read = written, read
        self.reporting = threading.Lock()
        """Held while the server may report changed settings (a SET, the commit or rollback that undoes it):
        libpq keeps them in a list it changes then, which another thread formatting rows for the connection
        reads (its client encoding). Nothing else a batch runs brings such reports."""

    def commit(self, write: Callable[[], tuple[int, int, Any]]) -> Written:
        """Run `write` in a transaction with the checkpoint; it returns (rows taken, rows read, key of the last)."""
        began = time.monotonic()
        with self._transaction():
            with self.reporting:
                for setting in self.db.dialect.utc_settings() if self.step.select else ():  # converted values: UTC
                    self.db.execute(setting)
            taken, read, upto = write()
            if taken != read:
                raise CopyMismatch(f"the destination took {taken} of the {read} rows of a batch")
            history.record(self.db, self.plan, self.step, "running", rows=self.written + taken,
                           expected=self.read + read, checkpoint=json.dumps(upto))
        self.written, self.read = self.written + taken, self.read + read
        return Written(taken, upto, time.monotonic() - began)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A transaction that ends, committed or rolled back, holding `reporting`."""
        ending = False
        try:
            with self.db.transaction():
                try:
                    yield
                finally:
                    self.reporting.acquire()
                    ending = True
        finally:
            if ending:
                self.reporting.release()


@contextmanager
def _destination(db: Database, source: Database, checkpoints: _Checkpoints) -> Iterator[Destination]:
    if not isinstance(db, PostgresDatabase):
        yield RowsHere(db, checkpoints)
        return
    # A connection cannot read the source while it takes a COPY: a copy inside one database writes a batch once read.
    into = CopyData(db, checkpoints, streamed=source is not db, binary=source.dialect.name == "sqlite")
    try:
        yield into
    finally:
        into.close()


class RowsHere:
    """A batch's rows held, then inserted with its checkpoint, here and now (a SQLite connection is its thread's)."""

    def __init__(self, db: Database, checkpoints: _Checkpoints):
        self.db, self.checkpoints = db, checkpoints
        self.rows: Rows = []
        self.upto: Any = None
        self.done: list[Written] = []

    def send(self, rows: Rows, upto: Any) -> None:
        self.rows += rows
        self.upto = upto

    def commit(self) -> None:
        if self.upto is None:
            return
        step, rows, upto = self.checkpoints.step, self.rows, self.upto
        self.done.append(self.checkpoints.commit(lambda: (self.db.copy_rows(step.into, step.columns, rows),
                                                          len(rows), upto)))
        self.rows, self.upto = [], None

    def written(self, wait: bool = False) -> list[Written]:
        done, self.done = self.done, []
        return done


@dataclass(frozen=True)
class _Formatted:
    """A chunk as COPY data."""

    data: bytes
    binary: bool
    rows: int
    upto: Any


_END, _STOP = object(), object()  # in the queue after chunks: the batch commits; the writer stops


class _Stopped(Exception):
    """The writer was stopped in the middle of a batch, which is rolled back."""


class CopyData:
    """Each batch one COPY, fed chunk by chunk by a thread of its own (`streamed`) while the next chunks are read
    and formatted; when the source is the destination's own connection, the batch's chunks are held and written
    once it is read. Binary while every column's type is in BINARY_TYPES (with a `binary` source: SQLite, whose
    values are of no other kinds than those types take) and every value of the kind its type takes; text from the
    first chunk that is not on, which starts a new batch: a COPY has one format."""

    def __init__(self, db: PostgresDatabase, checkpoints: _Checkpoints, streamed: bool, binary: bool):
        step, q = checkpoints.step, db.dialect.quote
        self.db, self.checkpoints = db, checkpoints
        self.copy = f"COPY {q(step.into)} ({', '.join(q(c) for c in step.columns)}) FROM STDIN"
        self.types: list[str] | None = _binary_types(db, step) if binary else None
        # Cursors lend their adapters and the connection's encoding; one per format, as binary types stick to one.
        self.text_cursor, self.binary_cursor = db.conn.cursor(), db.conn.cursor()
        self.held: list[_Formatted] = []
        self.format: bool | None = None  # whether the batch being sent is binary; None between batches
        self.queue: queue.Queue[object] = queue.Queue(maxsize=QUEUED_CHUNKS)
        self.done: queue.Queue[Written] = queue.Queue()
        self.failure: BaseException | None = None
        self.stopped = False
        self.thread = threading.Thread(target=self._work, name="dbbasic-copy", daemon=True) if streamed else None
        if self.thread:
            self.thread.start()

    def send(self, rows: Rows, upto: Any) -> None:
        self._raise_failure()
        with self.checkpoints.reporting:
            chunk = self._format(rows, upto)
        if self.format is not None and self.format != chunk.binary:
            self.commit()
        self.format = chunk.binary
        if self.thread:
            self.queue.put(chunk)  # a writer that failed takes everything until _STOP: this is never stuck
        else:
            self.held.append(chunk)

    def commit(self) -> None:
        if self.format is None:
            return
        if self.thread:
            self.queue.put(_END)
        else:
            self.done.put(self._write(iter(self.held)))
            self.held = []
        self.format = None

    def written(self, wait: bool = False) -> list[Written]:
        if wait:
            self.close()
        self._raise_failure()
        done = []
        while not self.done.empty():
            done.append(self.done.get_nowait())
        return done

    def close(self) -> None:
        """Stop the writer: after the batch it writes if it was committed, else rolling it back."""
        if self.thread and self.thread.is_alive():
            self.queue.put(_STOP)
            self.thread.join()

    def _format(self, rows: Rows, upto: Any) -> _Formatted:
        if self.types:
            try:
                data = self._formatted(rows, self.binary_cursor, self.types)
                return _Formatted(data[len(SIGNATURE):-len(TRAILER)], True, len(rows), upto)
            except Exception:  # a value of another kind than its column's binary form takes: text from now on
                self.types = None
        return _Formatted(self._formatted(rows, self.text_cursor, None), False, len(rows), upto)

    @staticmethod
    def _formatted(rows: Rows, cursor: Any, types: list[str] | None) -> bytes:
        import psycopg
        from psycopg.copy import FileWriter

        out = io.BytesIO()
        with psycopg.Copy(cursor, binary=types is not None, writer=FileWriter(out)) as copy:
            if types is not None:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        return out.getvalue()

    def _work(self) -> None:
        try:
            while isinstance(first := self.queue.get(), _Formatted):
                self.done.put(self._write(self._queued(first)))
        except BaseException as exc:
            if self.stopped:  # stopped in the middle of a batch, now rolled back: the reader is raising already
                return
            self.failure = exc  # the reader raises it at its next step
            while self.queue.get() is not _STOP:  # take what the reader still puts, until it stops
                pass

    def _queued(self, first: _Formatted) -> Iterator[_Formatted]:
        """The chunks of the batch `first` begins, until the reader commits it (or stops: then it is rolled back)."""
        item: object = first
        while isinstance(item, _Formatted):
            yield item
            item = self.queue.get()
        if item is _STOP:
            self.stopped = True
            raise _Stopped

    def _write(self, chunks: Iterator[_Formatted]) -> Written:
        """One batch, as one COPY, with its checkpoint."""
        first = next(chunks)

        def write() -> tuple[int, int, Any]:
            read, upto = 0, None
            with self.db.conn.cursor() as cursor:
                with cursor.copy(self.copy + (" (FORMAT binary)" if first.binary else "")) as copy:
                    for chunk in itertools.chain([first], chunks):
                        copy.write(SIGNATURE + chunk.data if chunk is first and chunk.binary else chunk.data)
                        read, upto = read + chunk.rows, chunk.upto
                    if first.binary:
                        copy.write(TRAILER)
                return int(cursor.rowcount), read, upto

        return self.checkpoints.commit(write)

    def _raise_failure(self) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure


def _binary_types(db: PostgresDatabase, step: CopyStep) -> list[str] | None:
    """The destination's type of each column, when every one is in BINARY_TYPES."""
    found = dict(db.query("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                          "WHERE attrelid = to_regclass(%(table)s) AND attnum > 0 AND NOT attisdropped",
                          {"table": db.dialect.quote(step.into)}))
    types = [found.get(c, "") for c in step.columns]
    return types if all(t in BINARY_TYPES for t in types) else None

