"""The copy step of a move (runner/copy.py with `select`): each Chinook table copied from SQLite into
PostgreSQL in rowid order, its values converted by the expressions the schema conversion chose, checkpointed
per batch; interrupted after two batches and run again, it resumes with no row lost or copied twice (the
verify step compares every table). Then how rows travel: as binary COPY where the columns' types allow it and
text otherwise, every value landing as it was either way; rows the application writes meanwhile; a key
without a value."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from test_move_schema import converted, pg  # noqa: F401
from test_sqlite_schema import CHINOOK, read

from dbbasic.plan.model import CopyStep, Plan
from dbbasic.runner import copy, history
from dbbasic.runner.connect import PostgresDatabase, SqliteDatabase
from dbbasic.runner.copy import KeyWithoutValue, run_copy
from dbbasic.runner.events import Event
from dbbasic.runner.verify import Compared, verify_table
from dbbasic.specs.model import Source


class Interrupted(Exception):
    pass


def test_chinook_copied_by_rowid_resumes_after_an_interruption_and_verifies(tmp_path: Path,
                                                                            pg: PostgresDatabase) -> None:  # noqa: F811
    path = Path(shutil.copy(CHINOOK, tmp_path / "chinook.sqlite"))
    schema = converted(path, casts={"Invoice.InvoiceDate": "timestamptz"})
    tables = {t.name: t for t in read(path).tables}
    for statement in schema.create:
        pg.execute(statement)
    pg.execute("SET TimeZone = 'UTC'")
    history.ensure(pg)
    steps = tuple(CopyStep(f"{n}-copy-{name.lower()}", "", name, name, tables[name].row_key[0],
                           tuple(c.name for c in columns), batch_rows=500,
                           select=tuple(c.source_sql for c in columns))
                  for n, (name, columns) in enumerate(schema.column_map.items(), start=1))
    plan = Plan("move", "Move to PostgreSQL", "postgres", Source("specs/move.yaml", 1, ""), "test", 1, steps)
    source = SqliteDatabase(path, "chinook", must_exist=True)
    try:
        track = next(s for s in steps if s.table == "Track")
        batches = []

        def stop_after_two(event: Event) -> None:
            batches.append(event)
            if len(batches) == 2:
                raise Interrupted

        with pytest.raises(Interrupted):
            run_copy(pg, source, plan, track, None, stop_after_two)
        copied = pg.query('SELECT count(*) FROM "Track"')[0][0]
        (record,) = [r for r in history.records(pg, plan.id) if r.step_id == track.id]
        assert record.rows_touched == copied and 500 <= copied < tables["Track"].row_count  # two batches, checkpointed
        for step in steps:
            record = next((r for r in history.records(pg, plan.id) if r.step_id == step.id), None)
            run_copy(pg, source, plan, step, record, lambda event: None)
        for statement in schema.after_data + schema.validate:
            pg.execute(statement)
        for name, columns in schema.column_map.items():
            verdict = verify_table(source, pg, name, tables[name].primary_key,
                                   [Compared(c.name, c.postgres_type, c.source_sql) for c in columns])
            assert (name, verdict.rows, verdict.difference) == (name, tables[name].row_count, None)
    finally:
        source.close()


# -- How rows travel: binary COPY where the types allow, text otherwise, in chunks while the source is read ----


def sqlite_source(path: Path, create: str, rows: list[tuple[object, ...]]) -> SqliteDatabase:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(create)
        db.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in rows[0])})", rows)
    return SqliteDatabase(path, "source", must_exist=True)


def copy_of(table: str, columns: tuple[str, ...], into: str = "", batch_rows: int = 5000) -> tuple[Plan, CopyStep]:
    step = CopyStep("1-copy", "source", table, into or table, "rowid", columns, batch_rows=batch_rows)
    return Plan("copy", "Copy", "postgres", Source("specs/copy.yaml", 1, ""), "test", 1, (step,)), step


def formats_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The format of each chunk formatted from now on, attempts included."""
    used: list[str] = []
    formatted = copy.CopyData._formatted

    def spy(rows: list[tuple[object, ...]], cursor: object, types: list[str] | None) -> bytes:
        used.append("binary" if types is not None else "text")
        return formatted(rows, cursor, types)

    monkeypatch.setattr(copy.CopyData, "_formatted", staticmethod(spy))
    return used


EDGES = [  # (id, integer, real, text, blob): what SQLite can hold, and what COPY escapes or frames
    (1, 0, 0.1 + 0.2, "", b""),
    (2, -2**63, -2.5e-300, "tab\there, new\nline, return\r, back\\slash", bytes(range(256))),
    (3, 2**63 - 1, 1.7976931348623157e308, "\\N", b"\\N"),
    (4, 7, 5e-324, "é ✓ 𝄞", b"\x00"),
    (5, None, float("inf"), None, None),
    (6, -1, float("-inf"), "1/3", b"\xff\xfe"),
    (7, 3, 1 / 3, "x" * 10_000, b"y" * 10_000),
]


def test_every_value_lands_as_it_was_in_binary_and_in_text(tmp_path: Path, pg: PostgresDatabase,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    source = sqlite_source(tmp_path / "edges.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL, "
                                                 "s TEXT, b BLOB)", EDGES)
    history.ensure(pg)
    columns = ("id", "n", "r", "s", "b")
    stored = source.query("SELECT * FROM t ORDER BY id")  # as SQLite keeps them: a REAL column's -0.0 is 0.0
    try:
        for form in ("binary", "text"):
            pg.execute(f"CREATE TABLE as_{form} (id bigint PRIMARY KEY, n bigint, r double precision, s text, "
                       "b bytea)")
            if form == "text":  # no type has a binary form: every chunk goes as text
                monkeypatch.setattr(copy, "BINARY_TYPES", frozenset())
            used = formats_used(monkeypatch)
            plan, step = copy_of("t", columns, f"as_{form}")
            assert run_copy(pg, source, plan, step, None, lambda event: None) == (len(EDGES), len(EDGES))
            assert used == [form]
            landed = pg.query(f"SELECT * FROM as_{form} ORDER BY id")
            assert [tuple(map(repr, row)) for row in landed] == [tuple(map(repr, row)) for row in stored]
    finally:
        source.close()


def test_a_value_of_another_kind_goes_as_text_from_its_chunk_on(tmp_path: Path, pg: PostgresDatabase,  # noqa: F811
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Columns without a declared type keep what they are given: the text '12' among integers, which a text
    # COPY reads as 12 (the binary form of bigint takes integers only), and integers among reals.
    rows = [(i, "12" if i == 250 else i, i if i % 2 else i / 4) for i in range(1, 501)]
    source = sqlite_source(tmp_path / "mixed.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, n, r)", rows)
    pg.execute("CREATE TABLE t (id bigint PRIMARY KEY, n bigint, r double precision)")
    history.ensure(pg)
    monkeypatch.setattr(copy, "CHUNK_ROWS", 100)
    used = formats_used(monkeypatch)
    plan, step = copy_of("t", ("id", "n", "r"), batch_rows=300)
    try:
        assert run_copy(pg, source, plan, step, None, lambda event: None) == (500, 500)
    finally:
        source.close()
    # Chunks 1 and 2 in binary; chunk 3 (rows 201-300) tried in binary, then text, and text from then on.
    assert used == ["binary", "binary", "binary", "text", "text", "text"]
    assert pg.query("SELECT * FROM t ORDER BY id") == [(i, 12 if i == 250 else i, float(r)) for i, _, r in rows]


def test_rows_written_to_the_source_during_the_copy_are_copied_too(tmp_path: Path,
                                                                  pg: PostgresDatabase) -> None:  # noqa: F811
    path = tmp_path / "busy.db"
    source = sqlite_source(path, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
                           [(i, f"row {i}") for i in range(1, 1001)])
    pg.execute("CREATE TABLE t (id bigint PRIMARY KEY, name text)")
    history.ensure(pg)
    plan, step = copy_of("t", ("id", "name"), batch_rows=100)
    application = sqlite3.connect(path, isolation_level=None)

    def meanwhile(event: Event) -> None:  # the application goes on writing to the source
        application.execute("INSERT INTO t (name) VALUES ('written during the copy')")
        application.execute("DELETE FROM t WHERE id = (SELECT min(id) FROM t)")  # already copied

    try:
        written, read = run_copy(pg, source, plan, step, None, meanwhile)
    finally:
        application.close()
        source.close()
    added = pg.query("SELECT count(*) FROM t WHERE name = 'written during the copy'")[0][0]
    assert added > 0 and written == read == 1000 + added
    assert pg.query("SELECT count(*), count(DISTINCT id) FROM t") == [(written, written)]


def test_a_key_without_a_value_in_some_row_stops_the_copy_before_it_starts(tmp_path: Path,
                                                                           pg: PostgresDatabase) -> None:  # noqa: F811
    source = sqlite_source(tmp_path / "codes.db", "CREATE TABLE t (code TEXT, label TEXT)",
                           [("a", "first"), (None, "no code"), ("c", "third")])
    pg.execute("CREATE TABLE t (code text, label text)")
    history.ensure(pg)
    step = CopyStep("1-copy", "source", "t", "t", "code", ("code", "label"))
    plan = Plan("copy", "Copy", "postgres", Source("specs/copy.yaml", 1, ""), "test", 1, (step,))
    try:
        with pytest.raises(KeyWithoutValue, match=r"t\.code, the key the copy walks, is NULL in some rows"):
            run_copy(pg, source, plan, step, None, lambda event: None)
    finally:
        source.close()
    assert pg.query("SELECT count(*) FROM t") == [(0,)]


def test_a_composite_key_orders_the_copy_and_its_checkpoint_resumes_it(tmp_path: Path,
                                                                       pg: PostgresDatabase) -> None:  # noqa: F811
    # A WITHOUT ROWID table has no rowid: the copy walks its primary key, (scope, name), as a row value.
    rows = [(f"scope {s}", f"name {n:03}", s * 1000 + n) for s in range(20) for n in range(250)]
    source = sqlite_source(tmp_path / "settings.db", "CREATE TABLE t (scope TEXT, name TEXT, value INTEGER, "
                                                     "PRIMARY KEY (scope, name)) WITHOUT ROWID", rows)
    pg.execute("CREATE TABLE t (scope text, name text, value bigint, PRIMARY KEY (scope, name))")
    history.ensure(pg)
    step = CopyStep("1-copy", "source", "t", "t", "scope", ("scope", "name", "value"), batch_rows=100,
                    then_by=("name",))
    plan = Plan("copy", "Copy", "postgres", Source("specs/copy.yaml", 1, ""), "test", 1, (step,))
    batches: list[Event] = []

    def stop_after_two(event: Event) -> None:
        batches.append(event)
        if len(batches) == 2:
            raise Interrupted

    try:
        with pytest.raises(Interrupted):
            run_copy(pg, source, plan, step, None, stop_after_two)
        (record,) = history.records(pg, plan.id)
        copied = pg.query("SELECT count(*) FROM t")[0][0]
        assert record.rows_touched == copied and 100 < copied < len(rows)
        assert pg.query("SELECT scope, name FROM t ORDER BY scope DESC, name DESC LIMIT 1")[0] == tuple(
            json.loads(record.checkpoint or "null"))  # the checkpoint: the last row's whole key
        assert run_copy(pg, source, plan, step, record, lambda event: None) == (len(rows), len(rows))
    finally:
        source.close()
    assert sorted(pg.query("SELECT * FROM t")) == sorted(rows)
