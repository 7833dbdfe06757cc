"""A `move:` migration end to end (generators/move.py): Chinook, a SQLite database nobody on the team wrote,
planned from the file as it is, reviewed, applied to PostgreSQL (tables, a copy per table in rowid order,
keys, indexes and foreign keys, a verify per table, the switch left to a person), and rolled back."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
from conftest import write_project
from oddities import ODDITIES
from test_sqlite_schema import CHINOOK

from dbbasic import api
from dbbasic.errors import ApplyError, SpecError
from dbbasic.runner import history
from dbbasic.runner.apply import ManualStepPending
from dbbasic.runner.connect import PostgresDatabase
from dbbasic.runner.events import Event

PLAN_ID = "migrations/move"
MOVE = """
migration:
  task: "Move to PostgreSQL"
  move: {from: dev, to: prod}
  verify: {counts: true, checksums: true, sample: 50}
  cast: {"Invoice.InvoiceDate": timestamptz}
"""


def move_project(root: Path, move: str) -> Path:
    """A project moving `var/source.db` (target dev, to be written by the caller) to $MOVE_PG (target prod)."""
    write_project(root, {
        "specs/dbbasic.yaml": """
            project:
              dialect: postgres
              targets:
                dev: sqlite:///var/source.db
                prod: {url: "${MOVE_PG}", dialect: postgres}
            """,
        "specs/migrations/move.yaml": move})
    (root / "var").mkdir()
    return root


def simple_move(extra: str = "") -> str:
    return "migration:\n  task: Move\n  move: {from: dev, to: prod}\n" + extra


@pytest.fixture
def project(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOVE_PG", pg_url)
    root = move_project(tmp_path / "p", MOVE)
    shutil.copy(CHINOOK, root / "var/source.db")
    return root


def test_chinook_moves_to_postgresql_verified_and_rolls_back(project: Path, pg_url: str) -> None:
    # Before it is planned, the move is valid and says what it waits for; apply refuses to run without its plan.
    assert [p.code for p in api.validate(project).problems] == ["move-unplanned"]
    with pytest.raises(SpecError, match="generated/ has no plan of it"):
        api.apply(project, "prod")
    result = api.plan(project)
    (plan,) = [p for p in result.plans if p.id == PLAN_ID]
    kinds = [s.kind for s in plan.steps]
    assert kinds == ["ddl", *["copy"] * 11, "ddl", "ddl", *["verify"] * 11, "manual"]
    plan_md = (project / "generated" / PLAN_ID / "postgres" / "plan.md").read_text()
    assert "`Invoice.InvoiceDate`: DATETIME -> timestamptz" in plan_md
    # Made from the file once: the plan stays as reviewed while the application writes to the source.
    shutil.move(project / "var/source.db", project / "var/elsewhere.db")
    assert api.plan(project, check=True).stale == []
    shutil.move(project / "var/elsewhere.db", project / "var/source.db")

    api.approve(project, [PLAN_ID], by="lead")
    # A server whose zone is not UTC: SQLite's date-time text, written without an offset, is UTC all the same.
    db = PostgresDatabase(pg_url, "prod")
    db.execute(f"ALTER DATABASE \"{db.query('SELECT current_database()')[0][0]}\" SET TimeZone = 'America/New_York'")
    db.close()
    with pytest.raises(ManualStepPending, match="Stop the application's writes to dev"):
        api.apply(project, "prod")
    db = PostgresDatabase(pg_url, "prod")
    try:
        assert db.query('SELECT count(*) FROM "Track"') == [(3503,)]
        moment = db.query('SELECT "InvoiceDate" FROM "Invoice" WHERE "InvoiceId" = 1')[0][0]
        assert moment.astimezone(UTC).isoformat() == "2021-01-01T00:00:00+00:00"
        assert db.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated") == [(11,)]
        verified = [(r.step_id, r.status, r.rows_touched) for r in history.records(db, PLAN_ID) if "verify" in r.step_id]
        assert len(verified) == 11 and all(status == "applied" for _, status, _ in verified)
        assert sum(rows for _, _, rows in verified) == 15_607
        api.rollback(project, PLAN_ID, "prod")
        assert db.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                        "AND table_name NOT LIKE 'dbbasic%'") == [(0,)]
    finally:
        db.close()


def test_a_lossy_move_is_an_error_before_anything_is_made(project: Path) -> None:
    spec = project / "specs/migrations/move.yaml"
    spec.write_text(spec.read_text().replace('"Invoice.InvoiceDate": timestamptz', '"Invoice.Total": integer'))
    with pytest.raises(SpecError) as caught:
        api.plan(project)
    assert {p.code for p in caught.value.problems} == {"move-lossy"}
    assert "Invoice.Total" in caught.value.problems[0].message
    assert not (project / "generated" / PLAN_ID).exists()


def test_kill_9_during_the_copy_resumes_exactly(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVE_PG", pg_url)
    root = move_project(tmp_path / "p", simple_move())
    with sqlite3.connect(root / "var/source.db") as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL)")
        db.execute("INSERT INTO events (name, amount) SELECT 'event ' || x, x / 7.0 FROM (WITH RECURSIVE s(x) AS "
                   "(SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 300000) SELECT x FROM s)")
    api.plan(root)
    rng = random.Random(11)
    checkpoints = set()
    for _ in range(40):
        process = subprocess.Popen([sys.executable, "-m", "dbbasic.cli", "apply", "--project", str(root), "--target",
                                    "prod", "--no-approval", "--format", "json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        assert process.stdout is not None
        for line in process.stdout:
            if '"batch"' in line and "copy-events" in line:
                break
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        db = PostgresDatabase(pg_url, "prod")
        try:
            state = db.query("SELECT status, checkpoint FROM dbbasic_history WHERE step_id = '2-copy-events'")
        finally:
            db.close()
        if state and state[0][0] == "applied":
            break
        checkpoints.add(state[0][1] if state else None)
    assert len(checkpoints) >= 3, "the kills should land at different points of the copy"
    with pytest.raises(ManualStepPending):  # everything up to the switch, the verify of events included
        api.apply(root, "prod", require_approval=False)
    db = PostgresDatabase(pg_url, "prod")
    try:
        assert db.query("SELECT count(*), count(DISTINCT id), max(id) FROM events") == [(300_000, 300_000, 300_000)]
        assert db.query("SELECT status, rows_touched FROM dbbasic_history WHERE step_id LIKE '%verify-events'") == [
            ("applied", 300_000)]
    finally:
        db.close()


def test_a_row_corrupted_on_the_way_stops_the_move_at_its_verify(project: Path, pg_url: str) -> None:
    api.plan(project)
    db = PostgresDatabase(pg_url, "prod")

    def corrupt_track_1234(event: Event) -> None:
        # Once the tables exist, PostgreSQL changes one price as the copy writes it.
        if event.event == "step_finished" and event.step_id == "1-create-tables":
            db.execute('CREATE FUNCTION corrupt() RETURNS trigger AS $$ BEGIN NEW."UnitPrice" := 0.98; RETURN NEW; '
                       "END $$ LANGUAGE plpgsql")
            db.execute('CREATE TRIGGER corrupt BEFORE INSERT ON "Track" FOR EACH ROW WHEN (NEW."TrackId" = 1234) '
                       "EXECUTE FUNCTION corrupt()")

    try:
        with pytest.raises(ApplyError) as caught:
            api.apply(project, "prod", require_approval=False, emit=corrupt_track_1234)
    finally:
        db.close()
    assert caught.value.step_id.endswith("verify-track")
    assert "Track key (1234,), column UnitPrice: source 0.99, destination Decimal('0.98')" in str(caught.value)


# Each oddity database with what its spec says (the problem each raises without it is in test_move_schema.py).
SPECS = {
    "mixed_types": 'cast: {"readings.celsius": text}', "nul_in_text": 'cast: {"notes.body": bytea}',
    "invalid_utf8": 'cast: {"notes.body": bytea}', "big_integers": "", "beyond_bigint": 'cast: {"counters.hits": numeric}',
    "blobs": 'cast: {"files.name": bytea}',  "spaced_names": "", "dangling_reference": "", "composite_key": "",
    "flags": "booleans: [users.active]", "iso_dates": 'cast: {"holidays.day": date}',
    "epoch_datetimes": 'cast: {"events.at": "timestamptz from epoch_seconds"}', "autoincrement": "",
    "defaults_and_checks": "", "without_rowid": 'cast: {"settings.value": bytea}',
}


@pytest.mark.parametrize("name", SPECS)
def test_each_oddity_moves_through_the_plan_and_verifies(name: str, tmp_path: Path, pg_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVE_PG", pg_url)
    said = "  verify: {sample: 10}\n" + (f"  {SPECS[name]}\n" if SPECS[name] else "")
    root = move_project(tmp_path / "p", simple_move(said))
    ODDITIES[name](root / "var/source.db")
    api.plan(root)
    with pytest.raises(ManualStepPending):  # every step before the switch ran, each table's verify included
        api.apply(root, "prod", require_approval=False)


def test_a_move_between_other_engines_is_refused_at_its_line(project: Path) -> None:
    spec = project / "specs/migrations/move.yaml"
    spec.write_text(spec.read_text().replace("{from: dev, to: prod}", "{from: prod, to: dev}"))
    with pytest.raises(SpecError, match="moves postgres to sqlite; this version moves SQLite to PostgreSQL"):
        api.plan(project)
