"""Reading a SQLite database before a move (runner/sqlite_schema.py): the whole catalog, and a profile of
what every column actually stores, named by row, in one streamed pass per table."""

from __future__ import annotations

import shutil
import sqlite3
import tracemalloc
from contextlib import closing
from pathlib import Path

import pytest
from oddities import (
    autoincrement,
    build,
    dangling_reference,
    defaults_and_checks,
    invalid_utf8,
    mixed_types,
    nul_in_text,
    without_rowid,
)

from dbbasic.runner.connect import SqliteDatabase
from dbbasic.runner.sqlite_schema import read_sqlite_schema
from dbbasic.sql.source_schema import Check, ForeignKey, IndexPart, Sample, SourceSchema

CHINOOK = Path(__file__).resolve().parent.parent / "data" / "chinook.sqlite"


def read(path: Path) -> SourceSchema:
    db = SqliteDatabase(path, path.name, must_exist=True)
    try:
        return read_sqlite_schema(db)
    finally:
        db.close()


@pytest.fixture
def chinook(tmp_path: Path) -> SourceSchema:
    return read(Path(shutil.copy(CHINOOK, tmp_path / "chinook.sqlite")))


def test_chinook_reads_completely(chinook: SourceSchema) -> None:
    counts = {t.name: t.row_count for t in chinook.tables}
    assert counts == {"Album": 347, "Artist": 275, "Customer": 59, "Employee": 8, "Genre": 25, "Invoice": 412,
                      "InvoiceLine": 2240, "MediaType": 5, "Playlist": 18, "PlaylistTrack": 8715, "Track": 3503}
    assert sum(counts.values()) == 15_607

    track = chinook.table("Track")
    assert track is not None
    assert [c.name for c in track.columns] == ["TrackId", "Name", "AlbumId", "MediaTypeId", "GenreId", "Composer",
                                               "Milliseconds", "Bytes", "UnitPrice"]
    assert (track.rowid_alias, track.primary_key, track.row_key) == ("TrackId", ("TrackId",), ("rowid",))
    assert track.foreign_keys == (
        ForeignKey(("MediaTypeId",), "MediaType", ("MediaTypeId",), "NO ACTION", "NO ACTION"),
        ForeignKey(("GenreId",), "Genre", ("GenreId",), "NO ACTION", "NO ACTION"),
        ForeignKey(("AlbumId",), "Album", ("AlbumId",), "NO ACTION", "NO ACTION"))
    assert [(i.name, i.origin, i.parts) for i in track.indexes] == [
        ("IFK_TrackAlbumId", "c", (IndexPart("AlbumId"),)),
        ("IFK_TrackGenreId", "c", (IndexPart("GenreId"),)),
        ("IFK_TrackMediaTypeId", "c", (IndexPart("MediaTypeId"),))]
    assert sum(len(t.foreign_keys) for t in chinook.tables) == 11
    assert sum(i.origin == "c" for t in chinook.tables for i in t.indexes) == 11

    playlist_track = chinook.table("PlaylistTrack")
    assert playlist_track is not None
    assert (playlist_track.primary_key, playlist_track.rowid_alias) == (("PlaylistId", "TrackId"), None)
    assert [i.origin for i in playlist_track.indexes] == ["c", "c", "pk"]


def test_chinook_profiles_say_what_is_stored(chinook: SourceSchema) -> None:
    invoice = chinook.table("Invoice")
    assert invoice is not None
    date, total = invoice.column("InvoiceDate"), invoice.column("Total")
    assert date is not None and total is not None
    assert (date.declared_type, date.profile.count("text"), date.profile.iso_timestamps) == ("DATETIME", 412, 412)
    assert date.profile.not_iso is None
    assert date.profile.first["text"] == Sample("InvoiceId = 1", "2021-01-01 00:00:00")
    # NUMERIC(10,2) holds reals in SQLite; the largest and the one with the most decimals are kept
    assert (total.declared_type, total.profile.classes()) == ("NUMERIC(10,2)", {"real"})
    assert total.profile.biggest_real == Sample("InvoiceId = 404", 25.86)
    assert total.profile.finest_real == Sample("InvoiceId = 1", 1.98)
    employee = chinook.table("Employee")
    assert employee is not None
    reports_to = employee.column("ReportsTo")
    assert reports_to is not None
    assert reports_to.profile.counts == {"integer": 7, "real": 0, "text": 0, "blob": 0, "null": 1}
    assert (reports_to.profile.smallest, reports_to.profile.largest) == (
        Sample("EmployeeId = 2", 1), Sample("EmployeeId = 7", 6))


def test_a_text_in_an_integer_column_is_counted_and_its_row_named(tmp_path: Path) -> None:
    [readings] = read(mixed_types(tmp_path / "mixed.db")).tables
    celsius = readings.columns[1]
    assert celsius.profile.classes() == {"integer", "text"}
    assert celsius.profile.first["text"] == Sample("id = 3", "n/a")


def test_text_that_is_not_utf8_is_read_as_its_bytes(tmp_path: Path) -> None:
    [notes] = read(invalid_utf8(tmp_path / "latin1.db")).tables
    assert notes.columns[1].profile.not_unicode == Sample("id = 2", b"caf\xe9")


def test_a_nul_in_text_is_found(tmp_path: Path) -> None:
    [notes] = read(nul_in_text(tmp_path / "nul.db")).tables
    body = notes.columns[1].profile
    assert body.with_nul == Sample("id = 2", "before\x00after")
    assert body.max_text_length == len("before\x00after")  # SQLite's length() would stop at the NUL


def test_rows_of_a_without_rowid_table_are_named_by_their_key(tmp_path: Path) -> None:
    [settings] = read(without_rowid(tmp_path / "settings.db")).tables
    assert (settings.without_rowid, settings.row_key, settings.rowid_alias) == (True, ("scope", "name"), None)
    assert settings.columns[2].profile.with_nul == Sample("scope = 'app', name = 'motto'", "a\x00b")


def test_a_column_named_rowid_does_not_hide_the_row(tmp_path: Path) -> None:
    path = build(tmp_path / "hidden.db", """
        CREATE TABLE t ("rowid" TEXT, n INTEGER);
        INSERT INTO t VALUES ('a', 1), ('b', 'two');
    """)
    [table] = read(path).tables
    assert table.row_key == ("_rowid_",)
    assert table.columns[1].profile.first["text"] == Sample("rowid 2", "two")


def test_autoincrement_keeps_the_last_key_handed_out(tmp_path: Path) -> None:
    [tickets] = read(autoincrement(tmp_path / "tickets.db")).tables
    assert (tickets.autoincrement, tickets.sequence, tickets.row_count) == (True, 3, 2)
    id_ = tickets.columns[0]
    assert id_.profile.largest == Sample("id = 2", 2)


def test_what_only_the_create_table_says_is_read_from_it(tmp_path: Path) -> None:
    [posts] = read(defaults_and_checks(tmp_path / "posts.db")).tables
    title, created, score = posts.column("title"), posts.column("created"), posts.column("score")
    assert title is not None and created is not None and score is not None
    assert (title.collation, title.not_null) == ("NOCASE", True)
    assert (created.default_sql, score.default_sql) == ("CURRENT_TIMESTAMP", "-1.5")
    assert posts.checks == (Check("views_positive", "views >= 0 AND title LIKE '_%'"),
                            Check("", "LENGTH(title) > 0"), Check("", "slug GLOB '[a-z]*'"))
    [slug, lower] = posts.indexes
    assert (slug.name, slug.unique, slug.partial, slug.parts) == ("posts_slug", True, True, (IndexPart("slug"),))
    assert (lower.name, lower.parts, lower.sql) == (
        "posts_title_lower", (IndexPart(None),), "CREATE INDEX posts_title_lower ON posts (lower(title))")


def test_a_reference_to_nothing_is_counted_and_named(tmp_path: Path) -> None:
    albums = read(dangling_reference(tmp_path / "music.db")).table("albums")
    assert albums is not None
    # written `REFERENCES Artists (ID)`: SQLite matches names in any case, PostgreSQL will not
    assert albums.foreign_keys == (
        ForeignKey(("artist_id",), "artists", ("id",), "NO ACTION", "NO ACTION", 1, Sample("id = 2", 99)),)


def test_virtual_tables_are_listed_without_their_shadow_tables_and_dbbasic_tables_left_out(tmp_path: Path) -> None:
    path = build(tmp_path / "search.db", """
        CREATE VIRTUAL TABLE docs USING fts5(body);
        CREATE TABLE dbbasic_history (plan TEXT);
        CREATE TABLE pages (id INTEGER PRIMARY KEY);
    """)
    schema = read(path)
    assert [(t.name, t.virtual) for t in schema.tables] == [("docs", True), ("pages", False)]


def test_memory_stays_flat_whatever_the_number_of_rows(tmp_path: Path) -> None:
    def peak(rows: int) -> int:
        path = tmp_path / f"{rows}.db"
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT, n INTEGER)")
            db.executemany("INSERT INTO t (note, n) VALUES (?, ?)", ((f"note {i} " + "x" * 200, i) for i in range(rows)))
            db.commit()
        tracemalloc.start()
        try:
            [table] = read(path).tables
            assert table.row_count == rows
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    few, many = peak(10_000), peak(100_000)  # 2 MB and 20 MB of text
    assert many < few * 1.5, (few, many)
