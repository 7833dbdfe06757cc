"""Changing the data model after it was applied: a new plan per change, online on PostgreSQL, rebuilt on SQLite."""

from __future__ import annotations

import textwrap
from dataclasses import replace
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


def test_a_table_gone_without_drop_is_an_error_that_suggests_the_look_alike(tmp_path: Path) -> None:
    root = project(tmp_path)
    api.plan(root)
    (root / "specs/data.yaml").write_text(V1.replace("  notes:\n", "  posts:\n"))
    with pytest.raises(SpecError) as failed:
        api.plan(root)
    [problem] = failed.value.problems
    assert (problem.code, problem.message) == ("table-gone", "table 'notes' is gone from the data model: that "
                                                             "would drop it and its rows")
    assert problem.hint == ("'posts' has its fields: if it was renamed, write `renamed_from: notes` on 'posts'; "
                            "to drop it, write `notes: {drop: true}`")


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
    pg = [s for step in plans[("schema/2", "postgres")].steps for s in getattr(step, "up", ())]
    assert 'ALTER TABLE "users" ADD CONSTRAINT "users_age_not_null" CHECK ("age" IS NOT NULL) NOT VALID' in pg
    assert 'ALTER TABLE "users" VALIDATE CONSTRAINT "users_age_not_null"' in pg
    assert 'CREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "users" ("email")' in pg
    assert 'ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key"' in pg
    assert 'ALTER TABLE "users" RENAME COLUMN "nick" TO "handle"' in pg
    lite = plans[("schema/2", "sqlite")]
    assert any(getattr(s, "rebuild", False) for s in lite.steps)  # SQLite: the table-rebuild procedure


READINGS = """
data:
  sensors:
    fields:
      id: id
  readings:
    fields:
      id: id
      sensor_id: {ref: sensors, required: true}
      value: {type: int, required: true, unique: true, default: 0}
      label: {type: enum, values: [low, high]}
    unique:
      - [sensor_id, value]
    indexes:
      - {columns: [label, value], where: "value > 0"}
"""


def readings_project(tmp_path: Path, data: str = READINGS) -> Path:
    return write_project(tmp_path / "p", {"specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
                                          "specs/data.yaml": data})


def test_postgres_changes_a_type_through_a_shadow_column_and_rolls_back_to_the_old_type_and_values(
        tmp_path: Path, pg_url: str) -> None:
    from dbbasic.plan.model import BatchedStep, CheckStep, DdlStep, OnlineDdlStep
    from dbbasic.runner import history
    from dbbasic.runner.apply import apply_plan
    from dbbasic.runner.rollback import rollback_plan

    root = readings_project(tmp_path)
    api.plan(root)
    api.apply(root, pg_url, require_approval=False)
    run(pg_url, root, "INSERT INTO sensors DEFAULT VALUES", "INSERT INTO sensors DEFAULT VALUES",
        "INSERT INTO readings (sensor_id, value, label) VALUES (1, 10, 'low'), (1, 20, 'high'), (2, 30, NULL)")
    before = dump(pg_url, schema_only=True)
    (root / "specs/data.yaml").write_text(READINGS.replace("value: {type: int,", "value: {type: bigint,"))
    plan = next(p for p in api.plan(root).plans if p.id == "schema/2" and p.dialect == "postgres")
    assert [(type(s).__name__, s.id) for s in plan.steps] == [
        ("DdlStep", "1-shadow-readings.value"), ("DdlStep", "2-sync-readings.value"),
        ("BatchedStep", "3-backfill-readings.value"), ("CheckStep", "4-verify-readings.value"),
        ("DdlStep", "5-not-null-check-readings.dbbasic_value_new"),
        ("DdlStep", "6-not-null-validate-readings.dbbasic_value_new"),
        ("OnlineDdlStep", "7-shadow-index-readings"), ("OnlineDdlStep", "8-shadow-index-readings"),
        ("OnlineDdlStep", "9-shadow-index-readings"), ("DdlStep", "10-swap-readings.value")]
    assert isinstance(plan.steps[2], BatchedStep) and plan.steps[2].up == (
        'UPDATE "readings" SET "dbbasic_value_new" = "value"::bigint WHERE "id" > %(after)s AND "id" <= %(upto)s',)
    assert isinstance(plan.steps[3], CheckStep) and plan.steps[3].expect == 0
    assert isinstance(plan.steps[8], OnlineDdlStep) and plan.steps[8].up == (
        'CREATE INDEX CONCURRENTLY "dbbasic_readings_label_value_idx_new" ON "readings" ("label", "dbbasic_value_new") '
        'WHERE "dbbasic_value_new" > 0',)
    swap = plan.steps[9]
    assert isinstance(swap, DdlStep) and swap.up == (
        'DROP TRIGGER IF EXISTS "dbbasic_readings_value_sync" ON "readings"',
        'DROP FUNCTION IF EXISTS "dbbasic_readings_value_sync"()',
        'ALTER TABLE "readings" ALTER COLUMN "dbbasic_value_new" SET NOT NULL',
        'ALTER TABLE "readings" DROP CONSTRAINT IF EXISTS "readings_dbbasic_value_new_not_null"',
        'ALTER TABLE "readings" DROP COLUMN "value"',
        'ALTER TABLE "readings" RENAME COLUMN "dbbasic_value_new" TO "value"',
        'ALTER TABLE "readings" ALTER COLUMN "value" SET DEFAULT 0',
        'ALTER TABLE "readings" ADD CONSTRAINT "readings_value_key" UNIQUE USING INDEX "dbbasic_readings_value_key_new"',
        'ALTER TABLE "readings" ADD CONSTRAINT "readings_sensor_id_value_key" '
        'UNIQUE USING INDEX "dbbasic_readings_sensor_id_value_key_new"',
        'ALTER INDEX "dbbasic_readings_label_value_idx_new" RENAME TO "readings_label_value_idx"')
    assert swap.down == ('ALTER TABLE "readings" ALTER COLUMN "value" TYPE integer USING "value"::integer',
                         'ALTER TABLE "readings" ADD COLUMN "dbbasic_value_new" bigint')
    assert [f for f in plan.findings if f.level == "error"] == []

    db = connect(resolve_target(Project(), pg_url, root), root)
    try:
        history.ensure(db)
        apply_plan(db, replace(plan, steps=plan.steps[:2]))  # the shadow and its trigger, not yet filled
        with db.transaction():  # the application writes meanwhile: the trigger carries its values over
            db.execute("INSERT INTO readings (sensor_id, value) VALUES (2, 40)")
            db.execute("UPDATE readings SET value = 11 WHERE id = 1")
        assert db.query('SELECT id, "dbbasic_value_new" FROM readings ORDER BY id') == [
            (1, 11), (2, None), (3, None), (4, 40)]
        apply_plan(db, plan)  # resumes at the backfill
        assert db.query("SELECT id, sensor_id, value, label FROM readings ORDER BY id") == [
            (1, 1, 11, "low"), (2, 1, 20, "high"), (3, 2, 30, None), (4, 2, 40, None)]
        assert db.query("SELECT format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
                        "WHERE attrelid = 'readings'::regclass AND attname = 'value'") == [("bigint", True)]
        after = dump(pg_url, schema_only=True)
        assert "dbbasic" not in after.replace("dbbasic_history", "")  # no shadow, trigger or function left
        assert _table_sorted(after) == _table_sorted(before).replace("    value integer", "    value bigint")
        with pytest.raises(Exception):  # noqa: B017 - still unique, still NOT NULL
            run(pg_url, root, "INSERT INTO readings (sensor_id, value) VALUES (1, 20)")
        # Written after the swap (the failed insert above used id 5): kept by the rollback.
        run(pg_url, root, "INSERT INTO readings (sensor_id) VALUES (1)", "UPDATE readings SET value = 5000000000 "
            "WHERE id = 6", "UPDATE readings SET value = 50 WHERE id = 6")

        rollback_plan(db, plan, history.records(db))
        assert db.query("SELECT id, sensor_id, value, label FROM readings ORDER BY id") == [
            (1, 1, 11, "low"), (2, 1, 20, "high"), (3, 2, 30, None), (4, 2, 40, None), (6, 1, 50, None)]
        # The schema is as it was, but for the place of the column: it stays last (PostgreSQL cannot move it).
        assert _table_sorted(dump(pg_url, schema_only=True)) == _table_sorted(before)
        assert dump(pg_url, schema_only=True) != before
    finally:
        db.close()


def _table_sorted(schema: str) -> str:
    """A schema dump with the column lines of each CREATE TABLE in name order."""
    out: list[str] = []
    columns: list[str] | None = None  # the column lines of the CREATE TABLE being read
    for line in schema.splitlines():
        if columns is None:
            out.append(line)
            columns = [] if line.startswith("CREATE TABLE") else None
        elif line == ");":
            out += [*sorted(columns), line]
            columns = None
        else:
            columns.append(line.rstrip(","))
    return "\n".join(out)


def test_a_type_change_without_a_key_to_walk_rewrites_the_table_and_the_linter_says_so(tmp_path: Path) -> None:
    data = """
    data:
      pairs:
        primary_key: [a, b]
        fields:
          a: {type: text, required: true}
          b: {type: text, required: true}
          n: int
    """
    root = write_project(tmp_path / "p", {"specs/dbbasic.yaml": "project:\n  dialects: [postgres]\n",
                                          "specs/data.yaml": data})
    api.plan(root)
    (root / "specs/data.yaml").write_text(textwrap.dedent(data).replace("n: int", "n: bigint"))
    [plan] = [p for p in api.plan(root).plans if p.id == "schema/2"]
    [step] = plan.steps
    assert step.up == ('ALTER TABLE "pairs" ALTER COLUMN "n" TYPE bigint USING "n"::bigint',)  # type: ignore[union-attr]
    assert "rewrites the table" in step.description
    assert [f.rule for f in plan.findings if f.level == "error"] == ["changing-column-type"]
