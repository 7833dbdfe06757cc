"""A synced move (`cutover: {mode: sync}`): the application writes to the SQLite source all through the copy,
the catch-up and the verify; the cutover freezes writes for a moment, replays the rest, checks and fences the
source. The end state: PostgreSQL equals the source row for row, every write the application made is there,
and the source refuses writes; rollback leaves the source as it was."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from oddities import ODDITIES
from test_move_plan import PLAN_ID, move_project, simple_move
from test_sqlite_schema import CHINOOK

from dbbasic import api
from dbbasic.errors import ApplyError, SpecError
from dbbasic.runner.apply import ManualStepPending
from dbbasic.runner.connect import PostgresDatabase, SqliteDatabase
from dbbasic.runner.events import Event
from dbbasic.runner.verify import Compared, verify_table

SYNCED = """
migration:
  task: "Move to PostgreSQL while the application writes"
  move: {from: dev, to: prod}
  verify: {counts: true, checksums: true, sample: 20}
  cutover: {mode: sync, max_lag_rows: 0}
  cast: {"Invoice.InvoiceDate": timestamptz}
"""


@pytest.fixture
def project(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOVE_PG", pg_url)
    root = move_project(tmp_path / "p", SYNCED)
    shutil.copy(CHINOOK, root / "var/source.db")
    return root


def source(root: Path) -> sqlite3.Connection:
    """The application's connection: autocommit, and waiting for locks as an application would."""
    return sqlite3.connect(root / "var/source.db", isolation_level=None, timeout=10)


def writes_between_steps(root: Path) -> Callable[[Event], None]:
    """Writes the application makes while steps run: inserts, updates (a primary key too), deletes,
    rows that refer to each other, each at a different step."""
    app = source(root)
    by_step = {
        "copy-artist": ["INSERT INTO Artist (ArtistId, Name) VALUES (1000, 'New Artist')",
                        "INSERT INTO Genre (GenreId, Name) VALUES (26, 'New Genre')",
                        "INSERT INTO Album (AlbumId, Title, ArtistId) VALUES (1000, 'New Album', 1000)"],
        "copy-track": ["UPDATE Track SET Name = 'Renamed', UnitPrice = 1.29 WHERE TrackId = 1",
                       "DELETE FROM PlaylistTrack WHERE TrackId = 2",
                       "INSERT INTO Track (TrackId, Name, AlbumId, MediaTypeId, Milliseconds, UnitPrice) "
                       "VALUES (5000, 'New Track', 1000, 1, 1000, 0.99)"],
        "catch-up": ["UPDATE Genre SET GenreId = 100 WHERE GenreId = 26",  # a key that changes
                     "INSERT INTO PlaylistTrack (PlaylistId, TrackId) VALUES (1, 5000)"],
        "verify-album": ["UPDATE Customer SET Email = 'moved@example.com' WHERE CustomerId = 1",
                         "DELETE FROM InvoiceLine WHERE InvoiceLineId = 1"],
        "verify-track": ["UPDATE Track SET Name = 'Renamed again' WHERE TrackId = 1"],
    }

    def write(event: Event) -> None:
        if event.event == "step_finished" and event.step_id is not None:
            for statement in by_step.get(event.step_id.split("-", 1)[1], []):
                app.execute(statement)

    return write


def compare_every_table(root: Path, pg_url: str) -> dict[str, int]:
    """Each table of the source compared with PostgreSQL by the verify step's own comparison."""
    plan = api.plan(root, check=True).plans
    (move,) = [p for p in plan if p.id == PLAN_ID]
    sqlite_db, pg = SqliteDatabase(root / "var/source.db", "source", must_exist=True), PostgresDatabase(pg_url, "pg")
    try:
        rows = {}
        for step in move.steps:
            if step.kind == "verify":
                verdict = verify_table(sqlite_db, pg, step.table, step.key,
                                       [Compared(*c) for c in zip(step.columns, step.types, step.select, strict=True)])
                assert verdict.difference is None, verdict.difference.describe()
                rows[step.table] = verdict.rows
        return rows
    finally:
        sqlite_db.close()
        pg.close()


def test_chinook_moves_while_the_application_writes_and_the_source_is_fenced(project: Path, pg_url: str) -> None:
    result = api.plan(project)
    (plan,) = [p for p in result.plans if p.id == PLAN_ID]
    kinds = [s.kind for s in plan.steps]
    assert kinds == ["capture", "ddl", *["copy"] * 11, "sync", "ddl", "ddl", *["verify"] * 11, "cutover", "manual"]
    plan_md = (project / "generated" / PLAN_ID / "postgres" / "plan.md").read_text()
    assert 'CREATE TRIGGER IF NOT EXISTS "dbbasic_capture_update_Track" AFTER UPDATE ON "Track"' in plan_md
    assert "DEFERRABLE INITIALLY IMMEDIATE" in plan_md

    with pytest.raises(ManualStepPending, match="Point the application at prod: dev refuses writes"):
        api.apply(project, "prod", require_approval=False, emit=writes_between_steps(project))

    rows = compare_every_table(project, pg_url)
    assert rows["Track"] == 3504 and rows["Artist"] == 276 and rows["InvoiceLine"] == 2239
    pg = PostgresDatabase(pg_url, "pg")
    try:
        assert pg.query('SELECT "Name" FROM "Track" WHERE "TrackId" = 1') == [("Renamed again",)]
        assert pg.query('SELECT "GenreId" FROM "Genre" WHERE "Name" = \'New Genre\'') == [(100,)]
        # Identities above the keys the application wrote during the move.
        pg.execute('INSERT INTO "Artist" ("Name") VALUES (\'After the switch\')')
        assert pg.query('SELECT max("ArtistId") FROM "Artist"') == [(1001,)]
    finally:
        pg.close()
    app = source(project)
    with pytest.raises(sqlite3.IntegrityError, match="this database moved to prod"):
        app.execute("INSERT INTO Genre (Name) VALUES ('Too late')")

    api.rollback(project, PLAN_ID, "prod", require_approval=False)
    app.execute("INSERT INTO Genre (Name) VALUES ('Writable again')")  # the fence is gone
    leftovers = app.execute("SELECT name FROM sqlite_master WHERE name LIKE 'dbbasic%'").fetchall()
    assert leftovers == []  # no trigger, no change log: the source is as it was


def test_a_writer_running_all_along_loses_nothing(project: Path, pg_url: str) -> None:
    api.plan(project)
    done: list[int] = []
    refused: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        app, n = source(project), 0
        while not stop.is_set():
            n += 1
            try:
                app.execute("BEGIN IMMEDIATE")
                app.execute("INSERT INTO Artist (ArtistId, Name) VALUES (?, ?)", (10_000 + n, f"artist {n}"))
                app.execute("UPDATE Track SET Milliseconds = Milliseconds + 1 WHERE TrackId = ?", (1 + n % 3503,))
                app.execute("DELETE FROM Artist WHERE ArtistId = ?", (10_000 + n - 5,))
                app.execute("COMMIT")
                done.append(n)
            except sqlite3.IntegrityError as exc:  # the fence: from now on the application writes to PostgreSQL
                app.execute("ROLLBACK")
                refused.append(str(exc))
                return
            time.sleep(0.002)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with pytest.raises(ManualStepPending):
            api.apply(project, "prod", require_approval=False)
        thread.join(timeout=30)
    finally:
        stop.set()
        thread.join()
    assert refused and "moved to prod" in refused[0]
    assert len(done) > 20, "the writer should have written all through the move"
    compare_every_table(project, pg_url)
    pg = PostgresDatabase(pg_url, "pg")
    try:  # the last five artists the writer inserted, the ones it had not deleted again
        assert pg.query('SELECT count(*) FROM "Artist" WHERE "ArtistId" > 10000') == [(min(5, len(done)),)]
    finally:
        pg.close()


def test_status_shows_the_lag_until_the_cutover(project: Path) -> None:
    api.plan(project)

    def stop_after_the_copy(event: Event) -> None:
        if event.event == "step_finished" and event.step_id == "13-copy-track":
            raise KeyboardInterrupt  # as a person stopping apply

    with pytest.raises(KeyboardInterrupt):
        api.apply(project, "prod", require_approval=False, emit=stop_after_the_copy)
    app = source(project)
    for n in range(7):
        app.execute("UPDATE Track SET Name = ? WHERE TrackId = ?", (f"changed {n}", n + 1))
    _, plans = api.status(project, "prod")
    (move,) = [p for p in plans if p.plan_id == PLAN_ID]
    assert move.lag == 7
    with pytest.raises(ManualStepPending):
        api.apply(project, "prod", require_approval=False)
    _, plans = api.status(project, "prod")
    assert [p.lag for p in plans if p.plan_id == PLAN_ID] == [None]


def test_a_row_lost_after_its_verify_stops_the_cutover_with_the_source_still_writable(project: Path,
                                                                                      pg_url: str) -> None:
    api.plan(project)
    pg = PostgresDatabase(pg_url, "pg")

    def lose_a_row(event: Event) -> None:
        if event.event == "step_finished" and event.step_id is not None and event.step_id.endswith("verify-track"):
            pg.execute('DELETE FROM "PlaylistTrack" WHERE "PlaylistId" = 1 AND "TrackId" = 3402')

    try:
        with pytest.raises(ApplyError, match="PlaylistTrack has 8715 rows in dev and 8714 here") as caught:
            api.apply(project, "prod", require_approval=False, emit=lose_a_row)
    finally:
        pg.close()
    assert caught.value.step_id.endswith("cutover")
    app = source(project)
    app.execute("INSERT INTO Genre (Name) VALUES ('still writable')")
    # Once the row is back, the same apply goes on from the cutover, and this time fences the source.
    pg = PostgresDatabase(pg_url, "pg")
    try:
        pg.execute('INSERT INTO "PlaylistTrack" ("PlaylistId", "TrackId") VALUES (1, 3402)')
    finally:
        pg.close()
    with pytest.raises(ManualStepPending, match="Point the application at prod"):
        api.apply(project, "prod", require_approval=False)
    compare_every_table(project, pg_url)
    with pytest.raises(sqlite3.IntegrityError, match="moved to prod"):
        app.execute("INSERT INTO Genre (Name) VALUES ('too late')")


def test_a_row_changed_after_its_verify_and_replayed_wrong_stops_the_cutover(project: Path, pg_url: str) -> None:
    api.plan(project)
    pg, app = PostgresDatabase(pg_url, "pg"), source(project)

    def replay_track_5_wrong(event: Event) -> None:
        # After Track's verify, PostgreSQL changes the price of any row the replay updates; the source changes one.
        if event.event == "step_finished" and event.step_id is not None and event.step_id.endswith("verify-track"):
            pg.execute('CREATE FUNCTION corrupt() RETURNS trigger AS $$ BEGIN NEW."UnitPrice" := 9.99; RETURN NEW; '
                       "END $$ LANGUAGE plpgsql")
            pg.execute('CREATE TRIGGER corrupt BEFORE UPDATE ON "Track" FOR EACH ROW EXECUTE FUNCTION corrupt()')
            app.execute("UPDATE Track SET Name = 'Changed late' WHERE TrackId = 5")

    try:
        with pytest.raises(ApplyError, match=r"Track key \(5,\), column UnitPrice: source 0.99, destination "
                                             r"Decimal\('9.99'\)") as caught:
            api.apply(project, "prod", require_approval=False, emit=replay_track_5_wrong)
    finally:
        pg.close()
    assert caught.value.step_id.endswith("cutover")
    app.execute("UPDATE Track SET Name = 'still writable' WHERE TrackId = 5")


def test_with_a_manual_freeze_a_person_stops_the_writes_and_the_cutover_follows(project: Path, pg_url: str) -> None:
    spec = project / "specs/migrations/move.yaml"
    spec.write_text(spec.read_text().replace("max_lag_rows: 0}", "max_lag_rows: 0, freeze: manual}"))
    (plan,) = [p for p in api.plan(project).plans if p.id == PLAN_ID]
    assert [s.id for s in plan.steps][-3:] == ["28-stop-writes", "29-cutover", "30-switch"]
    with pytest.raises(ManualStepPending, match="Stop the application's writes to dev"):
        api.apply(project, "prod", require_approval=False)
    source(project).execute("UPDATE Track SET Name = 'last write' WHERE TrackId = 9")  # before the person acts
    with pytest.raises(ManualStepPending, match="Point the application at prod"):
        api.apply(project, "prod", require_approval=False, confirm=[f"{PLAN_ID}:28-stop-writes"])
    compare_every_table(project, pg_url)


def test_a_table_without_a_primary_key_cannot_be_synced(tmp_path: Path) -> None:
    root = move_project(tmp_path / "p", simple_move("  cutover: {mode: sync}\n"))
    with sqlite3.connect(root / "var/source.db") as db:
        db.execute("CREATE TABLE audit (at TEXT, what TEXT)")
    with pytest.raises(SpecError) as caught:
        api.plan(root)
    assert [p.code for p in caught.value.problems] == ["move-sync"]
    assert "table audit has no primary key" in caught.value.problems[0].message
    assert "cutover: {mode: offline}" in caught.value.problems[0].hint


# Oddities whose names or values the replay's triggers and staging tables must carry as the copy does.
SYNCED_ODDITIES = {"spaced_names": "", "flags": "booleans: [users.active]",
                   "epoch_datetimes": 'cast: {"events.at": "timestamptz from epoch_seconds"}', "blobs":
                   'cast: {"files.name": bytea}'}


@pytest.mark.parametrize("name", SYNCED_ODDITIES)
def test_each_oddity_moves_synced_with_a_write_to_every_table_on_the_way(name: str, tmp_path: Path, pg_url: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVE_PG", pg_url)
    said = "  cutover: {mode: sync}\n" + (f"  {SYNCED_ODDITIES[name]}\n" if SYNCED_ODDITIES[name] else "")
    root = move_project(tmp_path / "p", simple_move(said))
    ODDITIES[name](root / "var/source.db")
    api.plan(root)
    app = source(root)
    tables = [t for (t,) in app.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite%'")]

    def rewrite_every_row_once_copied(event: Event) -> None:
        # After the copies: every row of every table written again as it is (an update the log records).
        if event.event == "step_finished" and event.step_id is not None and event.step_id.endswith("catch-up"):
            for table in tables:
                column = app.execute(f'SELECT name FROM pragma_table_info("{table}") LIMIT 1').fetchone()[0]
                app.execute(f'UPDATE "{table}" SET "{column}" = "{column}"')

    with pytest.raises(ManualStepPending):
        api.apply(root, "prod", require_approval=False, emit=rewrite_every_row_once_copied)
    # Every row went through the replay (its staging tables, the upsert), and came out as the source has it.
    rows = compare_every_table(root, pg_url)
    logged = app.execute("SELECT count(*), max(seq) FROM dbbasic_changes").fetchone()
    assert logged[0] >= sum(rows.values()) > 0
    pg = PostgresDatabase(pg_url, "pg")
    try:
        assert pg.query("SELECT seq FROM dbbasic_replay") == [(logged[1],)]
    finally:
        pg.close()
