"""Each step kind on real databases: copy, online_ddl, ddl under lock timeouts, adaptive batches."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest
from conftest import write_project

from dbbasic import api
from dbbasic.errors import ApplyError
from dbbasic.runner.batches import next_size
from dbbasic.runner.connect import connect, resolve_target
from dbbasic.runner.ddl import Timeouts
from dbbasic.specs.model import Project


def query(url: str, root: Path, sql: str) -> list[tuple[object, ...]]:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        return db.query(sql)
    finally:
        db.close()


def test_batch_sizes_move_toward_the_target_duration() -> None:
    assert next_size(1000, 0.1, 200) == 2000       # twice as fast as wanted: twice the rows, at most
    assert next_size(1000, 0.4, 200) == 500        # twice too slow: half the rows
    assert next_size(1000, 10.0, 200) == 500       # never more than halved at once
    assert next_size(1000, 0.25, 200) == 800
    assert next_size(10, 5.0, 200) == 10           # a floor: below it a batch is all commit overhead


COPY_SPECS = {
    "specs/dbbasic.yaml": """
        project:
          dialects: [postgres, sqlite]
          targets:
            legacy: sqlite:///legacy.db
        """,
    "specs/data.yaml": "data:\n  users:\n    fields: {id: id, email: {type: email, required: true}, "
                       "vip: {type: bool, required: true, default: false}}\n",
    "specs/migrations/import.yaml": """
        migration:
          task: bring users over from the legacy database
          steps:
            - copy: {from: legacy, table: customers, into: users, key: id, columns: [id, email, vip]}
              batch_rows: 100
              down: DELETE FROM users
          allow_destructive: true
        """,
}


def test_copy_moves_every_row_once_and_resumes_after_a_failure(tmp_path: Path, db_url: str) -> None:
    root = write_project(tmp_path / "p", COPY_SPECS)
    with sqlite3.connect(root / "legacy.db") as legacy:
        legacy.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, vip INTEGER)")
        legacy.executemany("INSERT INTO customers VALUES (?, ?, ?)",
                           [(i, None if i == 450 else f"c{i}@example.com", i % 2) for i in range(1, 1001)])
    api.plan(root)
    with pytest.raises(ApplyError, match="step 1-copy failed"):  # row 450 has no email: NOT NULL refuses it
        api.apply(root, db_url, require_approval=False)
    copied = query(db_url, root, "SELECT count(*), max(id) FROM users")[0]
    assert copied[0] == copied[1] and 0 < int(str(copied[0])) < 450  # whole batches only
    with sqlite3.connect(root / "legacy.db") as legacy:
        legacy.execute("UPDATE customers SET email = 'c450@example.com' WHERE id = 450")
    result = api.apply(root, db_url, require_approval=False)
    [step] = [s for s in result.steps if s.step_id == "1-copy"]
    assert (step.rows, step.expected) == (1000, 1000)
    assert query(db_url, root, "SELECT count(*), count(DISTINCT id), sum(CASE WHEN vip THEN 1 ELSE 0 END) "
                               "FROM users") == [(1000, 1000, 500)]


def test_copy_within_one_database(tmp_path: Path, db_url: str) -> None:
    root = write_project(tmp_path / "p", {
        "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
        "specs/data.yaml": "data:\n  a: {fields: {id: id, v: text}}\n  b: {fields: {id: id, v: text}}\n",
        "specs/migrations/m.yaml": "migration:\n  task: a into b\n  steps:\n"
                                   "    - copy: {table: a, into: b, key: id}\n      down: DELETE FROM b\n"
                                   "  allow_destructive: true\n"})
    api.plan(root)
    api.apply(root, db_url, ["schema"], require_approval=False)
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            for i in range(1, 251):
                db.execute(f"INSERT INTO a (id, v) VALUES ({i}, 'v{i}')")
    finally:
        db.close()
    api.apply(root, db_url, require_approval=False)
    assert query(db_url, root, "SELECT count(*) FROM b") == [(250,)]


def test_an_index_left_invalid_by_a_failed_concurrent_build_is_rebuilt(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", {
        "specs/data.yaml": "data:\n  people:\n    fields: {id: id, email: text}\n",
        "specs/migrations/unique.yaml": """
            migration:
              task: one person per email
              steps:
                - sql: CREATE UNIQUE INDEX CONCURRENTLY people_email_uniq ON people (email)
                  transactional: false
                  down: DROP INDEX CONCURRENTLY IF EXISTS people_email_uniq
            """})
    api.plan(root)
    api.apply(root, pg_url, ["schema"], require_approval=False)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO people (email) VALUES ('a@x'), ('a@x'), ('b@x')")
    with pytest.raises(ApplyError, match="could not create unique index"):
        api.apply(root, pg_url, require_approval=False)
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'people_email_uniq'::regclass"
    assert query(pg_url, root, valid) == [(False,)]  # what PostgreSQL leaves behind
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM people WHERE id = (SELECT max(id) FROM people WHERE email = 'a@x')")
    api.apply(root, pg_url, require_approval=False)
    assert query(pg_url, root, valid) == [(True,)]
    with pytest.raises(psycopg.errors.UniqueViolation), psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO people (email) VALUES ('b@x')")


def test_a_ddl_step_backs_off_while_a_lock_is_held_then_goes_through(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", {
        "specs/data.yaml": "data:\n  t:\n    fields: {id: id}\n",
        "specs/migrations/m.yaml": "migration:\n  task: m\n  steps:\n"
                                   "    - sql: ALTER TABLE t ADD COLUMN x int\n"
                                   "      down: ALTER TABLE t DROP COLUMN x\n"})
    api.plan(root)
    api.apply(root, pg_url, ["schema"], require_approval=False)
    holder = psycopg.connect(pg_url)
    holder.execute("LOCK TABLE t IN ACCESS SHARE MODE")  # a long read: ALTER TABLE must wait for it
    try:
        quick = Timeouts(lock_ms=100, retries=2, backoff_s=0.05)
        started = time.monotonic()
        with pytest.raises(ApplyError, match="lock timeout"):
            api.apply(root, pg_url, require_approval=False, timeouts=quick)
        assert time.monotonic() - started < 5  # it gave up instead of queueing behind the reader
        threading.Timer(0.5, holder.rollback).start()
        patient = Timeouts(lock_ms=100, retries=8, backoff_s=0.1)
        result = api.apply(root, pg_url, require_approval=False, timeouts=patient)
        assert [s.status for s in result.steps] == ["applied"]
    finally:
        holder.close()


def test_a_rewrite_of_a_large_table_is_refused_once_the_target_says_it_is_large(tmp_path: Path,
                                                                               pg_url: str) -> None:
    from dbbasic.errors import PlanError

    root = write_project(tmp_path / "p", {
        "specs/data.yaml": "data:\n  events:\n    fields: {id: id, n: int}\n",
        "specs/migrations/m.yaml": """
            migration:
              task: widen n
              steps:
                - sql: ALTER TABLE events ALTER COLUMN n TYPE bigint
                  down: ALTER TABLE events ALTER COLUMN n TYPE integer
              lint: {ignore: {changing-column-type: "checked against the table's size at apply time"}}
            """})
    api.plan(root)
    api.apply(root, pg_url, ["schema"], require_approval=False)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO events (n) SELECT 1 FROM generate_series(1, 150000)")
        conn.execute("ANALYZE events")
    with pytest.raises(PlanError, match=r"holds `events` \(about 150,000 rows\)") as refused:
        api.apply(root, pg_url, require_approval=False)
    assert "--force" in refused.value.hint
    assert query(pg_url, root, "SELECT data_type FROM information_schema.columns WHERE table_name = 'events' "
                               "AND column_name = 'n'") == [("integer",)]
    api.apply(root, pg_url, require_approval=False, force=True)  # a maintenance window
    assert query(pg_url, root, "SELECT data_type FROM information_schema.columns WHERE table_name = 'events' "
                               "AND column_name = 'n'") == [("bigint",)]
