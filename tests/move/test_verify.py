"""Verifying a moved table (runner/verify.py): Chinook moved to PostgreSQL verifies table by table; a value
changed, a row lost or a row added on the way is caught and named by table, key, column and both values."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from oddities import ODDITIES, build
from test_move_schema import converted, move, pg  # noqa: F401
from test_sqlite_schema import CHINOOK, read

from dbbasic.generators.move_schema import MoveSchema
from dbbasic.runner.connect import PostgresDatabase, SqliteDatabase
from dbbasic.runner.verify import Compared, Difference, TableVerdict, normalize, verify_table

CASTS = {"Invoice.InvoiceDate": "timestamptz", "Employee.BirthDate": "timestamptz",
         "Employee.HireDate": "timestamptz"}


@pytest.fixture
def moved(tmp_path: Path, pg: PostgresDatabase) -> Iterator[tuple[SqliteDatabase, PostgresDatabase, MoveSchema]]:  # noqa: F811
    path = Path(shutil.copy(CHINOOK, tmp_path / "chinook.sqlite"))
    schema = converted(path, casts=CASTS)
    assert schema.problems == ()
    move(path, pg, schema)
    source = SqliteDatabase(path, "chinook", must_exist=True)
    yield source, pg, schema
    source.close()


def verify(moved: tuple[SqliteDatabase, PostgresDatabase, MoveSchema], table: str, sample: int = 0) -> TableVerdict:
    source, destination, schema = moved
    key = read_key(source, table)
    columns = [Compared(c.name, c.postgres_type, c.source_sql) for c in schema.column_map[table]]
    return verify_table(source, destination, table, key, columns, sample)


def read_key(source: SqliteDatabase, table: str) -> tuple[str, ...]:
    found = next(t for t in read(source.path).tables if t.name == table)
    return found.primary_key


def test_every_table_of_chinook_verifies_after_the_move(moved: tuple[SqliteDatabase, PostgresDatabase, MoveSchema]
                                                        ) -> None:
    verdicts = [verify(moved, table, sample=50) for table in moved[2].column_map]
    assert [v.difference for v in verdicts] == [None] * 11
    assert sum(v.rows for v in verdicts) == 15_607


def test_a_value_changed_on_the_way_is_named(moved: tuple[SqliteDatabase, PostgresDatabase, MoveSchema]) -> None:
    moved[1].execute('UPDATE "Track" SET "UnitPrice" = 0.98 WHERE "TrackId" = 1234')
    difference = verify(moved, "Track").difference
    assert difference is not None
    assert (difference.key, difference.column) == ((1234,), "UnitPrice")
    assert (normalize(difference.source, "numeric"), normalize(difference.destination, "numeric")) == ("0.99", "0.98")
    assert difference.describe().startswith("Track key (1234,), column UnitPrice: source")


def test_values_a_weak_hash_would_confuse_are_told_apart(moved: tuple[SqliteDatabase, PostgresDatabase, MoveSchema]
                                                        ) -> None:
    # Python's hash of a tuple of integers cannot tell -1 from -2: the checksum must.
    moved[0].execute('UPDATE "Track" SET "Milliseconds" = -1 WHERE "TrackId" = 5')
    moved[1].execute('UPDATE "Track" SET "Milliseconds" = -2 WHERE "TrackId" = 5')
    difference = verify(moved, "Track").difference
    assert difference == Difference("Track", (5,), "Milliseconds", -1, -2)


def test_a_row_lost_or_added_on_the_way_is_named(moved: tuple[SqliteDatabase, PostgresDatabase, MoveSchema]) -> None:
    moved[1].execute('DELETE FROM "PlaylistTrack" WHERE "PlaylistId" = 1 AND "TrackId" = 3402')
    lost = verify(moved, "PlaylistTrack").difference
    assert lost is not None and lost.key == (1, 3402) and lost.destination is None
    moved[1].execute('INSERT INTO "Genre" ("GenreId", "Name") VALUES (999, \'Polka\')')
    added = verify(moved, "Genre").difference
    assert added is not None and added.key == (999,) and added.source is None
    assert "the destination only" in added.describe()


def test_a_timestamp_moved_as_timestamptz_compares_equal_to_its_sqlite_text() -> None:
    assert normalize("2021-01-01 00:00:00", "timestamptz") == normalize("2021-01-01T00:00:00Z", "timestamptz")
    assert normalize("2021-01-01T02:00:00+02:00", "timestamptz") == normalize("2021-01-01T00:00:00Z", "timestamptz")
    assert normalize(1, "boolean") is True and normalize(True, "boolean") is True
    assert normalize("1.980", "numeric") == normalize(1.98, "numeric") == normalize(Decimal("1.98"), "numeric")
    assert normalize(b"\x00\xff", "bytea") == normalize(memoryview(b"\x00\xff"), "bytea")
    assert normalize(5, "bytea") == normalize(b"5", "bytea")  # a number in a BLOB column reaches bytea as text


def test_a_table_without_a_key_is_compared_row_by_whole_row(tmp_path: Path, pg: PostgresDatabase) -> None:  # noqa: F811
    path = ODDITIES["composite_key"](tmp_path / "odd.db")
    schema = converted(path)
    move(path, pg, schema)
    pg.execute("UPDATE marks SET mark = 17")
    source = SqliteDatabase(path, "odd", must_exist=True)
    try:
        columns = [Compared(c.name, c.postgres_type, c.source_sql) for c in schema.column_map["marks"]]
        assert verify_table(source, pg, "marks", (), columns).difference == Difference(
            "marks", (1, "math", 17), None, None, (1, "math", 17))
    finally:
        source.close()


class CountedSqlite(SqliteDatabase):
    """A source that counts the queries it streams: a table read a second time is being merged."""

    streamed = 0

    def iterate(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        self.streamed += 1
        return super().iterate(sql, params)


def test_values_stored_unlike_the_destination_match_by_checksum_alone(tmp_path: Path, pg: PostgresDatabase  # noqa: F811
                                                                      ) -> None:
    # SQLite hands back 1 (an int) from a column of numbers, ISO text for a timestamptz, 0/1 for a boolean,
    # 1.5 for a numeric(10,2): each is normalised before its row is hashed, so no merge is needed.
    path = build(tmp_path / "readings.db", """
        CREATE TABLE readings (id INTEGER PRIMARY KEY, value, at DATETIME, ok INTEGER, price NUMERIC(10,2), note TEXT);
        INSERT INTO readings VALUES (1, 1, '2021-01-01T02:00:00+02:00', 1, 1.5, 'a'),
                                    (2, 2.5, '2021-01-01 00:00:00', 0, 2, NULL), (3, NULL, NULL, NULL, NULL, 'été');
    """)
    schema = converted(path, casts={"readings.at": "timestamptz"}, booleans=("readings.ok",))
    assert schema.problems == ()
    move(path, pg, schema)
    source = CountedSqlite(path, "readings", must_exist=True)
    try:
        columns = [Compared(c.name, c.postgres_type, c.source_sql) for c in schema.column_map["readings"]]
        assert [c.type for c in columns] == ["bigint", "double precision", "timestamptz", "boolean", "numeric(10,2)",
                                             "text"]
        assert verify_table(source, pg, "readings", ("id",), columns) == TableVerdict("readings", 3, None)
        assert source.streamed == 1
        pg.execute("UPDATE readings SET at = at + interval '1 second' WHERE id = 1")
        assert verify_table(source, pg, "readings", ("id",), columns).difference == Difference(
            "readings", (1,), "at", "2021-01-01T02:00:00+02:00", datetime(2021, 1, 1, 0, 0, 1, tzinfo=UTC))
        assert source.streamed == 3
    finally:
        source.close()
