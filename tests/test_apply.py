"""Apply on real databases: the same examples run on SQLite and on PostgreSQL (see `db_url`)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import psycopg
import pytest
from conftest import REPO, write_project

from dbbasic import api
from dbbasic.errors import ApplyError, LockTimeout, PlanError, UnapprovedPlan
from dbbasic.runner.connect import connect, resolve_target
from dbbasic.specs.model import Project

DB_ERRORS = (sqlite3.Error, psycopg.Error)


def query(url: str, root: Path, sql: str) -> list[tuple[object, ...]]:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        return db.query(sql)
    finally:
        db.close()


def tables(url: str, root: Path) -> list[str]:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        return [name for name in ("users", "dbbasic_history") if db.query(db.dialect.TABLE_EXISTS, {"name": name})]
    finally:
        db.close()


def test_a_wide_model_with_reserved_words_and_every_type_applies_cleanly(tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "wide"
    shutil.copytree(REPO / "tests" / "fixtures" / "wide", root)
    api.plan(root)
    api.approve(root, [], by="test")
    result = api.apply(root, db_url)
    assert {s.status for s in result.steps} == {"applied"}
    _, plans = api.status(root, db_url)
    assert [(p.plan_id, p.state) for p in plans] == [("schema", "applied")]
    # Reserved words work as table names, defaults fill in, the enum CHECK holds.
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            db.execute('INSERT INTO "user" ("select") VALUES (\'x\')')
        assert db.query('SELECT status, flag, label FROM "user"')[0] in [("new", True, "it's"), ("new", 1, "it's")]
        with pytest.raises(DB_ERRORS), db.transaction():
            db.execute('INSERT INTO "user" (status) VALUES (\'lost\')')
        assert len(db.query('SELECT * FROM "user"')) == 1
    finally:
        db.close()
    assert api.apply(root, db_url).steps == []


SPECS = {
    "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
    "specs/data.yaml": """
        data:
          users:
            fields:
              id: id
              email: {type: email, required: true}
        """,
}


def project_with(tmp_path: Path, steps: str) -> Path:
    root = write_project(tmp_path / "p", {**SPECS, "specs/migrations/m.yaml": "migration:\n  task: m\n" + steps})
    api.plan(root)
    return root


def test_a_failed_step_leaves_nothing_and_apply_resumes_there(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, """
  steps:
    - sql: ["ALTER TABLE users ADD COLUMN nick text", "INSERT INTO missing_table VALUES (1)"]
      down: "ALTER TABLE users DROP COLUMN nick"
""")
    with pytest.raises(ApplyError) as failure:
        api.apply(root, db_url, require_approval=False)
    assert failure.value.plan_id == "migrations/m" and failure.value.step_id == "1-sql"
    # The column of the failed step's first statement is not there: the transaction was rolled back.
    columns = [r[0] for r in query(db_url, root, "SELECT * FROM users LIMIT 0") or []]
    assert columns == []
    with pytest.raises(DB_ERRORS):
        query(db_url, root, "SELECT nick FROM users")
    _, plans = api.status(root, db_url)
    states = {p.plan_id: (p.state, p.error) for p in plans}
    assert states["schema"] == ("applied", None)
    assert states["migrations/m"][0] == "failed" and "missing_table" in (states["migrations/m"][1] or "")
    # Fix the spec; apply resumes at the failed step and the plan is applied.
    (root / "specs/migrations/m.yaml").write_text(
        "migration:\n  task: m\n  steps:\n    - sql: ALTER TABLE users ADD COLUMN nick text\n"
        "      down: ALTER TABLE users DROP COLUMN nick\n")
    api.plan(root)
    result = api.apply(root, db_url, require_approval=False)
    assert [(s.plan_id, s.step_id, s.status) for s in result.steps] == [("migrations/m", "1-sql", "applied")]
    assert query(db_url, root, "SELECT count(nick) FROM users") == [(0,)]


def test_a_batched_step_walks_the_key_and_commits_batch_by_batch(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, """
  steps:
    - sql: "INSERT INTO users (email) SELECT 'u' || x || '@example.com' FROM (SELECT 1 AS x) AS one"
      down: "DELETE FROM users WHERE email LIKE 'u%%@example.com'"
    - batched: "UPDATE users SET email = upper(email) WHERE id > %(after)s AND id <= %(upto)s"
      table: users
      key: id
      batch_rows: 7
    - check: "SELECT count(*) FROM users WHERE email <> upper(email)"
      expect: 0
  lint: {ignore: {missing-down: "test"}}
""")
    api.apply(root, db_url, ["schema"], require_approval=False)
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            for i in range(50):
                db.execute(f"INSERT INTO users (email) VALUES ('user{i}@example.com')")
    finally:
        db.close()
    result = api.apply(root, db_url, require_approval=False)
    batched = next(s for s in result.steps if s.step_id == "2-batched")
    assert batched.rows == 51
    assert query(db_url, root, "SELECT checkpoint, rows_touched FROM dbbasic_history WHERE step_id = '2-batched'") \
        == [("51", 51)]


def test_a_failing_check_stops_the_plan_with_the_numbers(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, """
  steps:
    - check: "SELECT count(*) FROM users"
      expect: 3
""")
    with pytest.raises(ApplyError, match=r"check 1-check failed: the query returned 0, expected 3"):
        api.apply(root, db_url, require_approval=False)


def test_unapproved_and_changed_plans_are_refused_naming_the_plan(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, "  steps:\n    - sql: ALTER TABLE users ADD COLUMN a text\n"
                                  "      down: ALTER TABLE users DROP COLUMN a\n")
    with pytest.raises(UnapprovedPlan, match=r"plan schema .* is not approved"):
        api.apply(root, db_url)
    api.approve(root, [], by="ana")
    (root / "specs/migrations/m.yaml").write_text(
        "migration:\n  task: m\n  steps:\n    - sql: ALTER TABLE users ADD COLUMN b text\n"
        "      down: ALTER TABLE users DROP COLUMN b\n")
    api.plan(root)
    with pytest.raises(UnapprovedPlan, match=r"plan migrations/m .* changed since it was approved by ana") as refused:
        api.apply(root, db_url)
    assert "dbbasic diff migrations/m" in refused.value.hint
    assert not tables(db_url, root)  # refused before anything ran: not even the history table exists


def test_a_plan_applied_as_another_version_shows_as_drifted(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, "  steps:\n    - sql: ALTER TABLE users ADD COLUMN a text\n"
                                  "      down: ALTER TABLE users DROP COLUMN a\n")
    api.apply(root, db_url, require_approval=False)
    (root / "specs/migrations/m.yaml").write_text(
        "migration:\n  task: m\n  steps:\n    - sql: ALTER TABLE users ADD COLUMN b text\n"
        "      down: ALTER TABLE users DROP COLUMN b\n")
    api.plan(root)
    _, plans = api.status(root, db_url)
    assert {p.plan_id: p.state for p in plans} == {"schema": "applied", "migrations/m": "drifted"}
    with pytest.raises(PlanError, match="applied to this database as another version"):
        api.apply(root, db_url, require_approval=False)


def test_a_second_runner_waits_then_says_who_holds_the_lock(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, "  steps:\n    - check: SELECT 1\n      expect: 1\n")
    target = resolve_target(Project(), db_url, root)
    holder = connect(target, root)
    try:
        with holder.lock(1, {"host": "ci-7", "pid": "4242", "plan": "schema"}):
            with pytest.raises(LockTimeout, match="another dbbasic runner holds") as refused:
                api.apply(root, db_url, require_approval=False, lock_wait=0.5)
            assert "4242" in str(refused.value) or "ci-7" in str(refused.value)
    finally:
        holder.close()
    assert api.apply(root, db_url, require_approval=False, lock_wait=0.5).steps


def test_the_example_project_applies_on_sqlite(example: Path) -> None:
    result = api.apply(example, "dev")
    # Every plan but the scaling tiers above the first, which wait at their gate for more users.
    assert [s.status for s in result.steps] == ["applied"] * 19 + ["waiting"]
    assert (result.steps[-1].plan_id, result.steps[-1].note) == (
        "scaling/growing", "users is 256; tier growing starts at 1,000")
    assert (example / "var" / "dev.db").exists()


def test_fixing_a_failed_step_resumes_after_the_steps_already_applied(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, """
  steps:
    - sql: ALTER TABLE users ADD COLUMN a text
      down: ALTER TABLE users DROP COLUMN a
    - sql: INSERT INTO nowhere VALUES (1)
      down: SELECT 1
""")
    with pytest.raises(ApplyError):
        api.apply(root, db_url, require_approval=False)
    (root / "specs/migrations/m.yaml").write_text((root / "specs/migrations/m.yaml").read_text().replace(
        "INSERT INTO nowhere VALUES (1)", "UPDATE users SET a = 'x'"))
    api.plan(root)
    result = api.apply(root, db_url, require_approval=False)
    assert [(s.step_id, s.status) for s in result.steps if s.plan_id == "migrations/m"] == [
        ("1-sql", "skipped"), ("2-sql", "applied")]


def test_a_failed_batched_step_whose_sql_changed_starts_over(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, """
  steps:
    - batched: "UPDATE users SET email = 'v1-' || (10 / (id - 3)) WHERE id > %(after)s AND id <= %(upto)s"
      table: users
      key: id
      batch_rows: 2
  lint: {ignore: {missing-down: "test"}}
""")
    api.apply(root, db_url, ["schema"], require_approval=False)
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            for i in range(1, 7):
                db.execute(f"INSERT INTO users (id, email) VALUES ({i}, 'u{i}')")
    finally:
        db.close()
    with pytest.raises(ApplyError):
        api.apply(root, db_url, require_approval=False)  # batch 1-2 commits, batch 3-4 divides by zero
    assert query(db_url, root, "SELECT email FROM users WHERE id <= 2 ORDER BY id") == [("v1--5",), ("v1--10",)]
    (root / "specs/migrations/m.yaml").write_text((root / "specs/migrations/m.yaml").read_text().replace(
        "'v1-' || (10 / (id - 3))", "'v2-' || id"))
    api.plan(root)
    api.apply(root, db_url, require_approval=False)
    assert [r[0] for r in query(db_url, root, "SELECT email FROM users ORDER BY id")] == [
        f"v2-{i}" for i in range(1, 7)]


def test_batched_steps_walk_uuid_and_text_keys(tmp_path: Path, db_url: str) -> None:
    root = write_project(tmp_path / "p", {
        "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
        "specs/data.yaml": "data:\n  notes:\n    fields: {id: uuid, body: text}\n"
                           "  tags:\n    fields: {name: {type: text, primary_key: true}, n: int}\n",
        "specs/migrations/m.yaml": """
migration:
  task: m
  steps:
    - batched: "UPDATE notes SET body = upper(body) WHERE id > %(after)s AND id <= %(upto)s"
      table: notes
      key: id
      batch_rows: 3
    - batched: "UPDATE tags SET n = 1 WHERE name > %(after)s AND name <= %(upto)s"
      table: tags
      key: name
      batch_rows: 3
  lint: {ignore: {missing-down: "test"}}
"""})
    api.plan(root)
    api.apply(root, db_url, ["schema"], require_approval=False)
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            for i in range(10):
                db.execute(f"INSERT INTO notes (body) VALUES ('note {i}')")
                db.execute(f"INSERT INTO tags (name) VALUES ('tag{i}')")
    finally:
        db.close()
    result = api.apply(root, db_url, require_approval=False)
    assert [s.rows for s in result.steps] == [10, 10]
    assert query(db_url, root, "SELECT count(*) FROM notes WHERE body = upper(body)") == [(10,)]


def test_enum_values_written_as_numbers_work_on_both_databases(tmp_path: Path, db_url: str) -> None:
    root = write_project(tmp_path / "p", {
        "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
        "specs/data.yaml": "data:\n  t:\n    fields: {id: id, level: {type: enum, values: [1, 2, 3], default: 1}}\n"})
    api.plan(root)
    api.apply(root, db_url, require_approval=False)
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            db.execute("INSERT INTO t (id) VALUES (1)")
        assert db.query("SELECT level FROM t") == [("1",)]
    finally:
        db.close()


def test_a_database_altered_by_hand_is_refused_until_forced(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, "  steps:\n    - sql: ALTER TABLE users ADD COLUMN nick text\n"
                                  "      down: ALTER TABLE users DROP COLUMN nick\n")
    api.apply(root, db_url, ["schema"], require_approval=False)
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            db.execute("ALTER TABLE users ADD COLUMN shadow text")  # someone's hand edit
    finally:
        db.close()
    with pytest.raises(PlanError, match="not in the state the plan was made for: table users: column shadow "
                                        "exists but was not expected") as refused:
        api.apply(root, db_url, require_approval=False)
    assert "--force" in refused.value.hint
    warnings: list[str] = []
    api.apply(root, db_url, require_approval=False, force=True,
              emit=lambda e: warnings.append(e.message) if e.event == "warning" else None)
    assert any("column shadow exists but was not expected" in w for w in warnings)


def test_the_schema_plan_refuses_a_database_that_already_has_its_tables(tmp_path: Path, db_url: str) -> None:
    root = project_with(tmp_path, "  steps:\n    - check: SELECT 1\n      expect: 1\n")
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            db.execute("CREATE TABLE users (id integer)")
    finally:
        db.close()
    with pytest.raises(PlanError, match="table users should not exist yet"):
        api.apply(root, db_url, require_approval=False)
