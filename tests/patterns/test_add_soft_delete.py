"""add_soft_delete: compiled, applied and rolled back on SQLite and PostgreSQL (see `db_url`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from dumps import dump
from pattern_cases import (
    MIGRATION_FILE,
    Case,
    apply,
    columns,
    database,
    dialect_of,
    insert,
    lint_errors,
    project,
    rollback,
    rows,
    spec_error,
    sql_step,
)

from dbbasic.generators.patterns import add_soft_delete
from dbbasic.plan.model import SQL_STEPS, CheckStep, DdlStep, OnlineDdlStep
from dbbasic.specs.model import DataModel

DATA = """
    data:
      users:
        fields:
          id: id
          email: {type: email, required: true}
      todos:
        fields:
          id: id
          user_id: {ref: users, required: true, on_delete: cascade}
          title: {type: text, required: true}
          done: {type: bool, default: false, required: true}
        indexes:
          - [user_id]
    """
MIGRATION = """
migration:
  task: "Add soft delete to todos"
  pattern: add_soft_delete
  model: todos
"""
TODOS = [{"id": 1, "user_id": 1, "title": "write"}, {"id": 2, "user_id": 1, "title": "test"},
         {"id": 3, "user_id": 2, "title": "ship"}]


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return project(tmp_path, DATA, MIGRATION)


def test_soft_delete_applies_then_rolls_back_to_the_schema_and_rows_it_found(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": 1, "email": "ada@example.com"}, {"id": 2, "email": "alan@example.com"}])
        insert(db, "todos", TODOS)
        schema_before = dump(db_url, schema_only=True)
        rows_before = rows(db, "todos", ["id", "user_id", "title", "done"])

        apply(db, plan)
        assert columns(db, "todos") == ["id", "user_id", "title", "done", "deleted_at"]
        assert rows(db, "todos", ["id", "deleted_at"]) == [(1, None), (2, None), (3, None)]
        assert rows(db, "todos_live", ["id", "user_id", "title", "done"]) == rows_before
        assert "todos_id_live_idx" in dump(db_url, schema_only=True)
        # The application deletes softly: the row stays in the table and leaves the view.
        with db.transaction():
            db.execute('UPDATE "todos" SET "deleted_at" = CURRENT_TIMESTAMP WHERE "id" = 2')
        assert [r[0] for r in rows(db, "todos_live", ["id"])] == [1, 3]
        assert [r[0] for r in rows(db, "todos", ["id"])] == [1, 2, 3]

        rollback(db, plan)
        assert dump(db_url, schema_only=True) == schema_before
        assert rows(db, "todos", ["id", "user_id", "title", "done"]) == rows_before
        apply(db, plan)  # a rolled-back plan can be applied again
        assert [r[0] for r in rows(db, "todos_live", ["id"])] == [1, 2, 3]


def test_the_check_compares_the_view_with_the_table(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    check = plan.steps[-1]
    assert isinstance(check, CheckStep) and check.expect == 0
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": 1, "email": "ada@example.com"}])
        insert(db, "todos", TODOS[:2])
        apply(db, plan)
        assert db.query(check.sql) == [(0,)]
        with db.transaction():
            db.execute('UPDATE "todos" SET "deleted_at" = CURRENT_TIMESTAMP WHERE "id" = 1')
        assert db.query(check.sql) == [(1,)]


def test_postgres_builds_the_partial_index_concurrently_and_sqlite_in_a_transaction(case: Case) -> None:
    postgres, sqlite = case.plan("postgres"), case.plan("sqlite")
    assert [type(s) for s in postgres.steps] == [DdlStep, OnlineDdlStep, DdlStep, CheckStep]
    assert [type(s) for s in sqlite.steps] == [DdlStep, DdlStep, DdlStep, CheckStep]
    assert [s.id for s in postgres.steps] == ["1-add-todos.deleted_at", "2-index-todos_id_live_idx",
                                              "3-view-todos_live", "4-verify-todos_live"]
    assert sql_step(postgres.steps[0]).up == ('ALTER TABLE "todos" ADD COLUMN "deleted_at" timestamptz',)
    assert sql_step(sqlite.steps[0]).up == ('ALTER TABLE "todos" ADD COLUMN "deleted_at" TEXT',)
    assert sql_step(postgres.steps[1]).up == ('CREATE INDEX CONCURRENTLY "todos_id_live_idx" ON "todos" ("id") '
                                    'WHERE "deleted_at" IS NULL',)
    assert sql_step(postgres.steps[1]).down == ('DROP INDEX CONCURRENTLY IF EXISTS "todos_id_live_idx"',)
    assert sql_step(sqlite.steps[1]).up == ('CREATE INDEX "todos_id_live_idx" ON "todos" ("id") WHERE "deleted_at" IS NULL',)
    assert sql_step(postgres.steps[2]).up == ('CREATE VIEW "todos_live" AS SELECT * FROM "todos" WHERE "deleted_at" IS NULL',)
    for plan in (postgres, sqlite):
        assert (plan.id, plan.task, plan.source) == (case.migration.id, case.migration.task, case.migration.source)
        assert (plan.generator, plan.generator_version) == ("pattern.add_soft_delete", add_soft_delete.VERSION)
        assert all(s.down for s in plan.steps if isinstance(s, SQL_STEPS))
        assert lint_errors(plan) == []
    assert sql_step(postgres.steps[1]).lock == "SHARE UPDATE EXCLUSIVE: reads and writes go on"
    assert sql_step(postgres.steps[0]).lock == "ACCESS EXCLUSIVE, brief (catalog change only)"


def test_the_column_and_view_can_be_named(tmp_path: Path) -> None:
    case = project(tmp_path, DATA, MIGRATION + "  options: {column: removed_at, view: open_todos}\n")
    plan = case.plan("sqlite")
    assert sql_step(plan.steps[0]).up == ('ALTER TABLE "todos" ADD COLUMN "removed_at" TEXT',)
    assert sql_step(plan.steps[2]).up == ('CREATE VIEW "open_todos" AS SELECT * FROM "todos" WHERE "removed_at" IS NULL',)


def test_the_partial_index_covers_every_column_of_a_composite_key(tmp_path: Path) -> None:
    data = """
        data:
          members:
            primary_key: [team, person]
            fields:
              team: {type: text, required: true}
              person: {type: text, required: true}
        """
    case = project(tmp_path, data, MIGRATION.replace("model: todos", "model: members"))
    assert sql_step(case.plan("postgres").steps[1]).up == (
        'CREATE INDEX CONCURRENTLY "members_team_person_live_idx" ON "members" ("team", "person") '
        'WHERE "deleted_at" IS NULL',)


def test_a_model_missing_from_the_data_model_is_a_located_error(case: Case) -> None:
    migration = dataclasses.replace(case.migration, options={**case.migration.options, "model": "todo"})
    problem = spec_error(migration, case.specs.data)
    assert (problem.file, problem.line, problem.level, problem.code) == (MIGRATION_FILE, 2, "error", "unknown-model")
    assert problem.message == "migration 'migrations/pattern': model 'todo' is not in the data model"
    assert problem.hint.startswith("did you mean 'todos'? tables: todos, users; usage: `pattern: add_soft_delete`")
    assert spec_error(case.migration, DataModel()).code == "unknown-model"


def test_a_missing_model_key_an_unknown_option_and_a_taken_name_are_errors(case: Case) -> None:
    def error(**options: object) -> str:
        problem = spec_error(dataclasses.replace(case.migration, options=options), case.specs.data)
        assert (problem.file, problem.line) == (MIGRATION_FILE, 2)
        return f"{problem.code}: {problem.message} | {problem.hint}"

    assert error(pattern="add_soft_delete").startswith(
        "pattern-parameter: migration 'migrations/pattern': pattern add_soft_delete needs `model:`")
    assert error(pattern="add_soft_delete", model="todos", options={"colum": "x"}).startswith(
        "pattern-parameter: migration 'migrations/pattern': pattern add_soft_delete has no option `colum` | "
        "did you mean 'column'?")
    assert error(pattern="add_soft_delete", model="todos", field="title").startswith(
        "pattern-parameter: migration 'migrations/pattern': pattern add_soft_delete takes no `field:`")
    assert error(pattern="add_soft_delete", model="todos", options={"column": "title"}).startswith(
        "name-taken: migration 'migrations/pattern': 'todos' already has a field 'title'")
    assert error(pattern="add_soft_delete", model="todos", options={"view": "users"}).startswith(
        "name-taken: migration 'migrations/pattern': the view 'users' would take the name of table users")
    assert error(pattern="add_soft_delete", model="todos", options={"column": "Title"}).startswith(
        "name-taken: migration 'migrations/pattern': 'todos' already has a field 'title'")
    assert error(pattern="add_soft_delete", model="todos", options={"view": "todos_user_id_idx"}).startswith(
        "name-taken: migration 'migrations/pattern': the view 'todos_user_id_idx' would take the name of an index "
        "of todos")
    assert error(pattern="add_soft_delete", model="todos", options={"column": ""}).startswith(
        "pattern-parameter: migration 'migrations/pattern': option `column` must be a name")
    assert error(pattern="add_soft_delete", model="todos", options={"column": "gone\nat"}).startswith(
        "pattern-parameter: migration 'migrations/pattern': option `column` must be a name")
    assert error(pattern="add_soft_delete", model="todos", options={"view": "dbbasic_live"}).startswith(
        "reserved-name: migration 'migrations/pattern': 'dbbasic_live' starts with 'dbbasic_'")
    assert error(pattern="add_soft_delete", model="todos", options={"view": "v" * 64}).startswith(
        f"name-too-long: migration 'migrations/pattern': the name '{'v' * 64}' is 64 bytes; postgres keeps only 63")
