"""SQLite databases with the oddities a move to PostgreSQL must notice, one builder per oddity.

Each builder writes a small database at `path` with plain SQL, as an application would have left it
(SQLite takes a text in an INTEGER column, a NUL in a text, foreign keys are off unless asked), and
returns the path. `ODDITIES` names them all, for the tests that run every one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path


def build(path: Path, script: str) -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.executescript(script)
        db.commit()
    return path


def mixed_types(path: Path) -> Path:
    """An INTEGER column that was given a text once."""
    return build(path, """
        CREATE TABLE readings (id INTEGER PRIMARY KEY, celsius INTEGER);
        INSERT INTO readings (celsius) VALUES (21), (22), ('n/a'), (23);
    """)


def nul_in_text(path: Path) -> Path:
    return build(path, """
        CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
        INSERT INTO notes (body) VALUES ('fine'), ('before' || char(0) || 'after');
    """)


def invalid_utf8(path: Path) -> Path:
    """Bytes written as text by an application that did not encode them (latin-1 'café')."""
    return build(path, """
        CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
        INSERT INTO notes (body) VALUES ('fine'), (CAST(X'636166E9' AS TEXT));
    """)


def big_integers(path: Path) -> Path:
    """The extremes of SQLite's 64-bit integers: they fit bigint, not integer."""
    return build(path, """
        CREATE TABLE counters (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL);
        INSERT INTO counters (hits) VALUES (1), (9223372036854775807), (-9223372036854775808);
    """)


def beyond_bigint(path: Path) -> Path:
    """An unsigned 64-bit value: SQLite keeps it as a real, already rounded."""
    return build(path, """
        CREATE TABLE counters (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL);
        INSERT INTO counters (hits) VALUES (1), (18446744073709551615);
    """)


def blobs(path: Path) -> Path:
    """A BLOB column, and a TEXT column that was given a blob once."""
    return build(path, """
        CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB);
        INSERT INTO files (name, data) VALUES ('a.bin', X'00FF10'), (X'89504E47', X'89504E47');
    """)


def without_rowid(path: Path) -> Path:
    """A WITHOUT ROWID table: its rows are named by their key, and one holds a NUL."""
    return build(path, """
        CREATE TABLE settings (scope TEXT, name TEXT, value TEXT, PRIMARY KEY (scope, name)) WITHOUT ROWID;
        INSERT INTO settings VALUES ('app', 'theme', 'dark'), ('app', 'motto', 'a' || char(0) || 'b');
    """)


def spaced_names(path: Path) -> Path:
    """Quoted names with spaces, a reserved word and mixed case, in keys and indexes too."""
    return build(path, """
        CREATE TABLE "order items" ("line no" INTEGER PRIMARY KEY, "Unit Price" REAL, "select" TEXT UNIQUE);
        CREATE INDEX "by price" ON "order items" ("Unit Price" DESC);
        INSERT INTO "order items" ("Unit Price", "select") VALUES (1.5, 'x'), (2.25, 'y');
    """)


def dangling_reference(path: Path) -> Path:
    """Foreign keys off (SQLite's default): an album refers to an artist that is not there."""
    return build(path, """
        CREATE TABLE artists (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE albums (id INTEGER PRIMARY KEY, title TEXT, artist_id INTEGER REFERENCES Artists (ID));
        INSERT INTO artists (name) VALUES ('Nina');
        INSERT INTO albums (title, artist_id) VALUES ('Live', 1), ('Lost', 99), ('Unknown', NULL);
    """)


def composite_key(path: Path) -> Path:
    return build(path, """
        CREATE TABLE enrolments (student INTEGER NOT NULL, course TEXT NOT NULL, grade TEXT,
                                 PRIMARY KEY (student, course));
        CREATE TABLE marks (student INTEGER, course TEXT, mark INTEGER,
                            FOREIGN KEY (student, course) REFERENCES enrolments (student, course));
        INSERT INTO enrolments VALUES (1, 'math', 'A'), (1, 'art', NULL);
        INSERT INTO marks VALUES (1, 'math', 18);
    """)


def flags(path: Path) -> Path:
    """An INTEGER column of 0 and 1, as SQLite stores booleans, with its CHECK."""
    return build(path, """
        CREATE TABLE users (id INTEGER PRIMARY KEY, active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)));
        INSERT INTO users (active) VALUES (1), (0), (1);
    """)


def iso_dates(path: Path) -> Path:
    return build(path, """
        CREATE TABLE holidays (id INTEGER PRIMARY KEY, day TEXT NOT NULL);
        INSERT INTO holidays (day) VALUES ('2024-01-01'), ('2024-12-25');
    """)


def epoch_datetimes(path: Path) -> Path:
    """A DATETIME column holding epoch seconds, which pgloader would read as years."""
    return build(path, """
        CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME NOT NULL);
        INSERT INTO events (at) VALUES (1262304000), (1700000000);
    """)


def autoincrement(path: Path) -> Path:
    """AUTOINCREMENT with the last rows deleted: key 3 was handed out and must never come back."""
    return build(path, """
        CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT);
        INSERT INTO tickets (title) VALUES ('one'), ('two'), ('three');
        DELETE FROM tickets WHERE id = 3;
    """)


def defaults_and_checks(path: Path) -> Path:
    """The defaults and CHECKs applications write, some of which have no PostgreSQL equivalent."""
    return build(path, """
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL COLLATE NOCASE CHECK (length(title) > 0),
            slug TEXT CHECK (slug GLOB '[a-z]*'),
            created TEXT DEFAULT CURRENT_TIMESTAMP,
            stamped TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            token TEXT DEFAULT (lower(hex(randomblob(16)))),
            score REAL DEFAULT -1.5,
            views INTEGER DEFAULT '0',
            CONSTRAINT views_positive CHECK (views >= 0 AND title LIKE '_%')
        );
        CREATE UNIQUE INDEX posts_slug ON posts (slug) WHERE slug IS NOT NULL;
        CREATE INDEX posts_title_lower ON posts (lower(title));
        INSERT INTO posts (title, slug) VALUES ('Hello', 'hello');
    """)


def long_names(path: Path) -> Path:
    """Two column names PostgreSQL would cut to the same 63 bytes."""
    prefix = "a_column_name_that_goes_on_and_on_well_past_what_postgres_keeps_"
    return build(path, f"""
        CREATE TABLE wide (id INTEGER PRIMARY KEY, {prefix}first TEXT, {prefix}second TEXT);
    """)


ODDITIES: dict[str, Callable[[Path], Path]] = {builder.__name__: builder for builder in (
    mixed_types, nul_in_text, invalid_utf8, big_integers, beyond_bigint, blobs, without_rowid, spaced_names,
    dangling_reference, composite_key, flags, iso_dates, epoch_datetimes, autoincrement, defaults_and_checks,
    long_names)}
