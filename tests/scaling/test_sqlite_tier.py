"""The single-server tier on SQLite: its PRAGMAs, set by the runner and read back, and what they are for:
concurrent writers that fail with SQLite's defaults succeed with them."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from conftest import write_project

from dbbasic import api
from dbbasic.generators.scaling.plans import SQLITE_PER_CONNECTION, SQLITE_PRAGMAS
from dbbasic.runner import history
from dbbasic.runner.connect import SqliteDatabase

PROJECT = {
    "specs/project.yaml": """
        project:
          name: shop
          dialect: sqlite
          targets: {dev: "sqlite:///var/dev.db"}
    """,
    "specs/data.yaml": """
        data:
          users:
            fields: {id: id, email: {type: email, required: true}}
    """,
    "specs/scaling.yaml": """
        scaling: {type: single_server, users: < 1000}
    """,
}


def test_the_single_server_tier_sets_its_pragmas_and_records_what_it_read_back(tmp_path: Path) -> None:
    root = write_project(tmp_path / "shop", PROJECT)
    api.plan(root)
    plan_md = (root / "generated/scaling/single_server/sqlite/plan.md").read_text()
    assert "`busy_timeout = 5000` (per connection: the application sets it on each of its own)" in plan_md
    assert "`journal_mode = wal` (kept in the database file)" in plan_md

    result = api.apply(root, "dev", require_approval=False)

    assert [(s.plan_id, s.status) for s in result.steps][-1] == ("scaling/single_server", "applied")
    with closing(sqlite3.connect(root / "var/dev.db")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # kept in the file, for every connection
    db = SqliteDatabase(root / "var/dev.db", "dev", must_exist=True)
    try:
        (record,) = [r for r in history.records(db) if r.plan_id == "scaling/single_server"]
    finally:
        db.close()
    assert json.loads(record.checkpoint or "{}") == {"busy_timeout": "5000", "cache_size": "-65536",
                                                     "foreign_keys": "1", "journal_mode": "wal",
                                                     "synchronous": "1", "temp_store": "2"}
    rolled = api.rollback(root, "scaling/single_server", "dev", require_approval=False)
    assert rolled.steps
    with closing(sqlite3.connect(root / "var/dev.db")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def concurrent_writes(path: Path, pragmas: dict[str, str], writers: int = 8, each: int = 20) -> list[str]:
    """Writers on connections of their own, each inserting rows one transaction at a time while holding the
    write lock a moment (as a request does); returns the errors they met."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("CREATE TABLE IF NOT EXISTS hits (writer integer, n integer)")
        if "journal_mode" in pragmas:
            db.execute(f"PRAGMA journal_mode = {pragmas['journal_mode']}")
    errors: list[str] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        # timeout=0: SQLite's own default busy timeout (Python's sqlite3 would otherwise wait 5 s by itself).
        with closing(sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)) as db:
            for name in SQLITE_PER_CONNECTION:
                if name in pragmas:
                    db.execute(f"PRAGMA {name} = {pragmas[name]}")
            start.wait()
            for n in range(each):
                try:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute("INSERT INTO hits VALUES (?, ?)", (writer, n))
                    time.sleep(0.001)
                    db.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    errors.append(str(exc))
                    if db.in_transaction:
                        db.execute("ROLLBACK")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_writers_that_fail_with_the_defaults_succeed_with_the_tiers_pragmas(tmp_path: Path) -> None:
    failed = concurrent_writes(tmp_path / "defaults.db", {})
    assert failed and set(failed) == {"database is locked"}

    assert concurrent_writes(tmp_path / "tuned.db", SQLITE_PRAGMAS) == []
    with closing(sqlite3.connect(tmp_path / "tuned.db")) as db:
        assert db.execute("SELECT count(*) FROM hits").fetchone() == (8 * 20,)
