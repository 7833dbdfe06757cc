"""The runner's promises, proved on SQLite and PostgreSQL with real processes and real crashes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_project
from dumps import dump

from dbbasic import api
from dbbasic.errors import ApplyError, PlanError
from dbbasic.runner.connect import connect, resolve_target
from dbbasic.specs.model import Project

COUNTER = {
    "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
    "specs/data.yaml": "data:\n  counters:\n    fields: {id: id, n: {type: int, required: true, default: 0}}\n",
    "specs/migrations/bump.yaml": """
migration:
  task: bump every counter once
  steps:
    - batched: "UPDATE counters SET n = n + 1 WHERE id > %(after)s AND id <= %(upto)s"
      table: counters
      key: id
      batch_rows: 50
      target_ms: 5
  lint: {ignore: {missing-down: "test"}}
""",
}


def fill(url: str, root: Path, rows: int) -> None:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        with db.transaction():
            db.execute(f"INSERT INTO counters (n) SELECT 0 FROM ({_series(url, rows)}) AS s")
    finally:
        db.close()


def _series(url: str, rows: int) -> str:
    if url.startswith("sqlite"):
        return f"WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {rows}) SELECT x FROM s"
    return f"SELECT generate_series(1, {rows})"


def query(url: str, root: Path, sql: str) -> list[tuple[object, ...]]:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        return db.query(sql)
    finally:
        db.close()


def apply_process(root: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dbbasic.cli", "apply", "--project", str(root), "--target", url,
                             "--no-approval", "--format", "json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def counter_project(tmp_path: Path, url: str, rows: int) -> Path:
    root = write_project(tmp_path / "p", COUNTER)
    api.plan(root)
    api.apply(root, url, ["schema"], require_approval=False)
    fill(url, root, rows)
    return root


def test_kill_9_at_any_moment_never_skips_or_repeats_a_batch(tmp_path: Path, db_url: str) -> None:
    root = counter_project(tmp_path, db_url, 300_000)
    rng = random.Random(7)
    kills, checkpoints = 0, set()
    for attempt in range(80):
        process = apply_process(root, db_url)
        assert process.stdout is not None
        # Most kills land while batches commit (after the first batch event), some as the step starts.
        wait_for = '"step_started"' if attempt % 4 == 0 else '"batch"'
        for line in process.stdout:
            if wait_for in line and "1-batched" in line:
                break
        time.sleep(rng.uniform(0.0, 0.02))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        state = query(db_url, root, "SELECT status, checkpoint FROM dbbasic_history WHERE step_id = '1-batched'")
        if state and state[0][0] == "applied":
            break
        kills += 1
        checkpoints.add(state[0][1] if state else None)
    assert kills >= 20, f"only {kills} kills landed inside the step; make the table larger"
    assert len(checkpoints) >= 10, "the kills should land at different points of the step"
    final = api.apply(root, db_url, require_approval=False)
    assert [s.status for s in final.steps] in (["applied"], [])
    assert query(db_url, root, "SELECT n, count(*) FROM counters GROUP BY n") == [(1, 300_000)]
    assert query(db_url, root, "SELECT rows_touched, rows_expected FROM dbbasic_history "
                               "WHERE step_id = '1-batched'") == [(300_000, 300_000)]


def test_two_runners_started_together_apply_once(tmp_path: Path, db_url: str) -> None:
    root = counter_project(tmp_path, db_url, 20_000)
    first, second = apply_process(root, db_url), apply_process(root, db_url)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    summaries = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    applied = sorted(len([s for s in summary["steps"] if s["status"] == "applied"]) for summary in summaries)
    assert applied == [0, 1]  # one ran the step, the other waited for the lock and found nothing to do
    assert query(db_url, root, "SELECT n, count(*) FROM counters GROUP BY n") == [(1, 20_000)]


def test_a_step_that_fails_halfway_leaves_the_database_as_it_was(tmp_path: Path, db_url: str) -> None:
    root = counter_project(tmp_path, db_url, 100)
    api.apply(root, db_url, require_approval=False)
    (root / "specs/migrations/break.yaml").write_text("""
migration:
  task: fails in its third statement
  steps:
    - sql:
        - ALTER TABLE counters ADD COLUMN label text
        - UPDATE counters SET label = 'x', n = n + 10
        - INSERT INTO nowhere VALUES (1)
      down: ALTER TABLE counters DROP COLUMN label
""")
    api.plan(root)
    before = dump(db_url)
    with pytest.raises(ApplyError, match="nowhere"):
        api.apply(root, db_url, require_approval=False)
    assert dump(db_url) == before


def test_rollback_of_a_three_step_plan_restores_the_schema(tmp_path: Path, db_url: str) -> None:
    root = counter_project(tmp_path, db_url, 10)
    api.apply(root, db_url, require_approval=False)
    (root / "specs/migrations/three.yaml").write_text("""
migration:
  task: three steps
  steps:
    - sql: ALTER TABLE counters ADD COLUMN label text
      down: ALTER TABLE counters DROP COLUMN label
    - sql: CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)
      down: DROP TABLE notes
    - sql: CREATE INDEX counters_label_idx ON counters (label)
      down: DROP INDEX counters_label_idx
  allow_destructive: true
""")
    api.plan(root)
    before = dump(db_url, schema_only=True)
    api.apply(root, db_url, require_approval=False)
    assert dump(db_url, schema_only=True) != before
    preview = api.rollback(root, "migrations/three", db_url, dry_run=True, require_approval=False)
    assert [(s.step_id, s.status) for s in preview.steps] == [
        ("3-sql", "would undo"), ("2-sql", "would undo"), ("1-sql", "would undo")]
    result = api.rollback(root, "migrations/three", db_url, require_approval=False)
    assert [s.step_id for s in result.steps] == ["3-sql", "2-sql", "1-sql"]
    assert dump(db_url, schema_only=True) == before
    _, plans = api.status(root, db_url)
    assert {p.plan_id: p.state for p in plans}["migrations/three"] == "pending"
    assert api.rollback(root, "migrations/three", db_url, require_approval=False).steps == []
    api.apply(root, db_url, require_approval=False)  # and it can be applied again
    assert query(db_url, root, "SELECT count(*) FROM notes") == [(0,)]


def test_rollback_refuses_a_step_without_down_before_running_anything(tmp_path: Path, db_url: str) -> None:
    root = counter_project(tmp_path, db_url, 10)
    api.apply(root, db_url, require_approval=False)  # the batched step of bump.yaml has no down
    before = dump(db_url)
    with pytest.raises(PlanError, match="step 1-batched has no `down`"):
        api.rollback(root, "migrations/bump", db_url, require_approval=False)
    assert dump(db_url) == before


def test_status_says_where_an_interrupted_plan_stopped(tmp_path: Path, db_url: str) -> None:
    root = counter_project(tmp_path, db_url, 30_000)
    process = apply_process(root, db_url)
    assert process.stdout is not None
    for line in process.stdout:
        if '"batch"' in line or ('"step_started"' in line and "1-batched" in line):
            break
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _, plans = api.status(root, db_url)
    bump = next(p for p in plans if p.plan_id == "migrations/bump")
    if bump.state == "partial":
        assert bump.at_step == "1-batched" and bump.checkpoint is not None and bump.rows > 0


PHONES = {
    "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
    "specs/data.yaml": "data:\n  users:\n    fields: {id: id, phone: phone}\n",
    "specs/migrations/phones.yaml": """
migration:
  task: normalize phones
  pattern: normalize_phones
  model: users
  field: phone
  options: {default_region: US}
""",
}


def test_kill_9_during_a_transform_step_reports_and_rewrites_each_row_once(tmp_path: Path, db_url: str) -> None:
    root = write_project(tmp_path / "p", PHONES)
    api.plan(root)
    api.apply(root, db_url, ["schema"], require_approval=False)
    rows = 40_000
    sqlite = db_url.startswith("sqlite")
    numbers = "'(202) 555-' || " + ("substr('000' || (x % 10000), -4, 4)" if sqlite else "lpad((x % 10000)::text, 4, '0')")
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            db.execute(f"INSERT INTO users (phone) SELECT {numbers} FROM ({_series(db_url, rows)}) AS {'s' if sqlite else 's(x)'}")
    finally:
        db.close()
    rng, kills = random.Random(11), 0
    for _ in range(30):
        process = apply_process(root, db_url)
        assert process.stdout is not None
        for line in process.stdout:
            if '"batch"' in line and "2-normalize" in line:
                break
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        state = query(db_url, root, "SELECT status FROM dbbasic_history WHERE step_id = '2-normalize-users.phone'")
        if state and state[0][0] == "applied":
            break
        kills += 1
    assert kills >= 5, f"only {kills} kills landed inside the step; make the table larger"
    api.apply(root, db_url, require_approval=False)
    assert query(db_url, root, "SELECT count(*) FROM users WHERE phone NOT LIKE '+1202555%'") == [(0,)]
    assert query(db_url, root, "SELECT note, count(*), count(DISTINCT row_key) FROM users_phone_report "
                               "GROUP BY note") == [("changed", rows, rows)]
