"""Changing the data model after it was applied: a new plan per change, online on PostgreSQL, rebuilt on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_project
from dumps import dump

from dbbasic import api
from dbbasic.errors import SpecError
from dbbasic.runner.connect import connect, resolve_target
from dbbasic.specs.model import Project

V1 = """
data:
  users:
    fields:
      id: id
      email: {type: email, required: true}
      nick: text
      age: int
      legacy: text
  notes:
    fields:
      id: id
      user_id: {ref: users, on_delete: cascade}
      body: text
  scratch:
    fields: {id: id}
"""

V2 = """
data:
  users:
    lint: {ignore: {changing-column-type: "a test table of two rows"}}
    fields:
      id: id
      email: {type: email, required: true, unique: true}
      handle: {type: text, renamed_from: nick}
      age: {type: bigint, required: true}
      legacy: {drop: true}
      plan: {type: enum, values: [free, pro], default: free, required: true}
      joined: {type: timestamp, default: now}
    indexes:
      - [handle]
  memos:
    renamed_from: notes
    fields:
      id: id
      user_id: {ref: users, on_delete: cascade}
      body: text
  scratch: {drop: true}
"""


def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "p", {"specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
                                          "specs/data.yaml": V1})


def query(url: str, root: Path, sql: str) -> list[tuple[object, ...]]:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        return db.query(sql)
    finally:
        db.close()


def run(url: str, root: Path, *statements: str) -> None:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        with db.transaction():
            for statement in statements:
                db.execute(statement)
    finally:
        db.close()


def test_a_changed_model_becomes_a_new_plan_that_keeps_the_data(tmp_path: Path, db_url: str) -> None:
    root = project(tmp_path)
    api.plan(root)
    api.apply(root, db_url, require_approval=False)
    run(db_url, root, "INSERT INTO users (email, nick, age, legacy) VALUES ('a@x', 'ann', 31, 'old')",
        "INSERT INTO users (email, nick, age) VALUES ('b@x', 'bob', 40)",
        "INSERT INTO notes (user_id, body) VALUES (1, 'hello')")
    before = dump(db_url, schema_only=True)
    (root / "specs/data.yaml").write_text(V2)
    result = api.plan(root)
    assert [p.id for p in result.plans if p.dialect == "postgres"] == ["schema", "schema/2"]
    assert (root / "generated/schema/2/model.json").exists()
    assert api.plan(root, check=True).stale == []
    applied = api.apply(root, db_url, require_approval=False)
    assert {s.plan_id for s in applied.steps} == {"schema/2"}
    assert query(db_url, root, "SELECT email, handle, age, plan FROM users ORDER BY id") == [
        ("a@x", "ann", 31, "free"), ("b@x", "bob", 40, "free")]
    assert query(db_url, root, "SELECT body FROM memos") == [("hello",)]
    with pytest.raises(Exception):  # noqa: B017 - either driver's IntegrityError
        run(db_url, root, "INSERT INTO users (email, age) VALUES ('a@x', 1)")  # email is unique now
    _, plans = api.status(root, db_url)
    assert {p.plan_id: p.state for p in plans} == {"schema": "applied", "schema/2": "applied"}
    # Undo it: the schema is as it was; the dropped column and table come back empty.
    api.rollback(root, "schema/2", db_url, require_approval=False)
    assert dump(db_url, schema_only=True) == before
    assert query(db_url, root, "SELECT email, nick, age FROM users ORDER BY id") == [("a@x", "ann", 31),
                                                                                    ("b@x", "bob", 40)]


def test_a_field_gone_without_drop_is_an_error_that_suggests_the_rename(tmp_path: Path) -> None:
    root = project(tmp_path)
    api.plan(root)
    (root / "specs/data.yaml").write_text(V1.replace("nick: text", "nickname: text"))
    with pytest.raises(SpecError) as failed:
        api.plan(root)
    [problem] = failed.value.problems
    assert problem.code == "field-gone" and "users.nick" in problem.message
    assert "write `renamed_from: nick` on 'nickname'" in problem.hint


def test_a_new_required_field_needs_a_default(tmp_path: Path) -> None:
    root = project(tmp_path)
    api.plan(root)
    (root / "specs/data.yaml").write_text(V1.replace("legacy: text", "legacy: text\n      level: {type: int, "
                                                                       "required: true}"))
    with pytest.raises(SpecError, match="is required and has no default"):
        api.plan(root)


def test_postgres_gets_online_recipes(tmp_path: Path) -> None:
    root = project(tmp_path)
    api.plan(root)
    (root / "specs/data.yaml").write_text(V2)
    plans = {(p.id, p.dialect): p for p in api.plan(root).plans}
    pg = [s for step in plans[("schema/2", "postgres")].steps for s in step.up]  # type: ignore[union-attr]
    assert 'ALTER TABLE "users" ADD CONSTRAINT "users_age_not_null" CHECK ("age" IS NOT NULL) NOT VALID' in pg
    assert 'ALTER TABLE "users" VALIDATE CONSTRAINT "users_age_not_null"' in pg
    assert 'CREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "users" ("email")' in pg
    assert 'ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key"' in pg
    assert 'ALTER TABLE "users" RENAME COLUMN "nick" TO "handle"' in pg
    lite = plans[("schema/2", "sqlite")]
    assert any(getattr(s, "rebuild", False) for s in lite.steps)  # SQLite: the table-rebuild procedure
