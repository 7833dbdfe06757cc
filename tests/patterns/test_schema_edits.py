"""The schema-edit patterns (add_column, rename_column, change_type, add_index, add_foreign_key, add_not_null,
add_unique, drop_column): each compiles to the data model's own recipe, and is applied with rows in the table
and rolled back to the schema and rows it found, on SQLite and PostgreSQL (see `db_url`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from dumps import dump
from pattern_cases import (
    MIGRATION_FILE,
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

from dbbasic.plan.model import CheckStep
from dbbasic.specs.model import DataModel, Field, FieldType, Table

DATA = """
    data:
      users:
        fields:
          id: id
          email: {type: email, required: true}
      todos:
        fields:
          id: id
          owner_id: bigint
          title: text
          rank: int
          note: {type: enum, values: [a, b]}
    """
USERS = [{"id": 1, "email": "ada@example.com"}, {"id": 2, "email": "alan@example.com"}]
TODOS = [{"id": 1, "owner_id": 1, "title": "write", "rank": 3, "note": "a"},
         {"id": 2, "owner_id": 1, "title": "test", "rank": 1, "note": None},
         {"id": 3, "owner_id": 2, "title": "ship", "rank": 2, "note": "b"}]
COLUMNS = ["id", "owner_id", "title", "rank", "note"]


@dataclasses.dataclass(frozen=True)
class Edit:
    yaml: str
    postgres: list[str]
    """Step ids on PostgreSQL."""
    sqlite: list[str]
    after: list[str]
    """The columns of todos once applied, in order (on PostgreSQL a retyped column moves to the end)."""
    values: list[tuple[object, ...]]
    """Rows of todos once applied (the columns of `after`)."""


EDITS = {
    "add_column": Edit(
        "options: {column: priority, type: int, required: true, default: 0, index: true}",
        ["1-add-todos.priority", "2-index-todos"], ["1-add-todos.priority", "2-index-todos"],
        [*COLUMNS, "priority"], [(1, 1, "write", 3, "a", 0), (2, 1, "test", 1, None, 0), (3, 2, "ship", 2, "b", 0)]),
    "rename_column": Edit(
        "field: title\n  options: {to: headline}", ["1-rename-todos.title"], ["1-rename-todos.title"],
        ["id", "owner_id", "headline", "rank", "note"], [tuple(t.values()) for t in TODOS]),
    "change_type": Edit(
        "field: rank\n  options: {type: bigint}",
        ["1-shadow-todos.rank", "2-sync-todos.rank", "3-backfill-todos.rank", "4-verify-todos.rank",
         "5-swap-todos.rank"], ["1-rebuild-todos"],
        ["id", "owner_id", "title", "note", "rank"], [(t["id"], t["owner_id"], t["title"], t["note"], t["rank"])
                                                      for t in TODOS]),
    "add_index": Edit(
        "options: {columns: [owner_id, rank desc]}", ["1-index-todos"], ["1-index-todos"],
        COLUMNS, [tuple(t.values()) for t in TODOS]),
    "add_foreign_key": Edit(
        "field: owner_id\n  options: {ref: users, on_delete: cascade}",
        ["1-fkey-todos.owner_id", "2-validate-fkey-todos.owner_id"], ["1-rebuild-todos"],
        COLUMNS, [tuple(t.values()) for t in TODOS]),
    "add_not_null": Edit(
        "field: title", ["1-not-null-check-todos.title", "2-not-null-validate-todos.title", "3-not-null-todos.title"],
        ["1-rebuild-todos"], COLUMNS, [tuple(t.values()) for t in TODOS]),
    "add_unique": Edit(
        "field: rank", ["1-unique-index-todos", "2-unique-todos"], ["1-rebuild-todos"],
        COLUMNS, [tuple(t.values()) for t in TODOS]),
    "drop_column": Edit(
        "field: note\n  allow_destructive: true", ["1-drop-todos.note"], ["1-rebuild-todos"],
        COLUMNS[:-1], [tuple(t.values())[:-1] for t in TODOS]),
}


def migration(pattern: str, lines: str) -> str:
    return f'\nmigration:\n  task: "{pattern}"\n  pattern: {pattern}\n  model: todos\n  {lines}\n'


@pytest.mark.parametrize("pattern", list(EDITS))
def test_an_edit_applies_then_rolls_back_to_the_schema_and_rows_it_found(pattern: str, tmp_path: Path,
                                                                           db_url: str) -> None:
    edit, dialect = EDITS[pattern], dialect_of(db_url)
    case = project(tmp_path, DATA, migration(pattern, edit.yaml))
    plan = case.plan(dialect)
    assert [s.id for s in plan.steps] == (edit.postgres if dialect == "postgres" else edit.sqlite)
    assert (plan.generator, plan.task) == (f"pattern.{pattern}", pattern)
    assert all(sql_step(s).down is not None for s in plan.steps if not isinstance(s, CheckStep))
    # A rebuild or a type change's swap drops a table or column only after keeping every value: not
    # destructive. Dropping a column is, and is confirmed by allow_destructive, which api's lint honours.
    expected_lint = [f"destructive-statement {plan.steps[-1].id}"] if pattern == "drop_column" else []
    assert [e.split(":")[0] for e in lint_errors(plan)] == expected_lint
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", USERS)
        insert(db, "todos", TODOS)
        schema_before = dump(db_url, schema_only=True)

        apply(db, plan)
        retyped = pattern == "change_type" and dialect == "sqlite"  # rebuilt in place
        assert columns(db, "todos") == (COLUMNS if retyped else edit.after)
        assert rows(db, "todos", edit.after) == edit.values

        rollback(db, plan)
        kept = COLUMNS[:-1] if pattern == "drop_column" else COLUMNS
        assert rows(db, "todos", kept) == [tuple(t[c] for c in kept) for t in TODOS]
        if pattern == "drop_column":  # the column comes back, its data cannot
            assert rows(db, "todos", ["note"]) == [(None,), (None,), (None,)]
        moved = dialect == "postgres" and pattern in ("change_type", "drop_column")
        if moved:  # PostgreSQL adds the column back at the end of the table
            assert sorted(columns(db, "todos")) == sorted(COLUMNS)
            assert _columns_sorted(dump(db_url, schema_only=True)) == _columns_sorted(schema_before)
        else:
            assert columns(db, "todos") == COLUMNS
            assert dump(db_url, schema_only=True) == schema_before
        apply(db, plan)  # a rolled-back plan can be applied again
        assert rows(db, "todos", edit.after) == edit.values


def _columns_sorted(schema: str) -> str:
    """A pg_dump schema with the column lines of each CREATE TABLE in name order."""
    out: list[str] = []
    body: list[str] | None = None
    for line in schema.splitlines():
        if body is None:
            out.append(line)
            body = [] if line.startswith("CREATE TABLE") else None
        elif line == ");":
            out += [*sorted(body), line]
            body = None
        else:
            body.append(line.rstrip(","))
    return "\n".join(out)


def test_postgres_changes_the_type_online_and_the_check_stops_a_lossy_change(tmp_path: Path, pg_url: str) -> None:
    case = project(tmp_path, DATA, migration("change_type", "field: title\n  options: {type: int}"))
    plan = case.plan("postgres")
    assert sql_step(plan.steps[2]).up == (
        'UPDATE "todos" SET "dbbasic_title_new" = "title"::integer WHERE "id" > %(after)s AND "id" <= %(upto)s',)
    with database(pg_url, case.root) as db:
        apply(db, case.schema("postgres"))
        insert(db, "todos", [{"id": 1, "title": "7"}, {"id": 2, "title": "007"}])
        with pytest.raises(Exception, match=r"4-verify-todos\.title"):  # '007' would come back as '7'
            apply(db, plan)
        assert rows(db, "todos", ["id", "title"]) == [(1, "7"), (2, "007")]


def test_change_type_needs_a_key_to_walk(tmp_path: Path) -> None:
    case = project(tmp_path, DATA, migration("change_type", "field: rank\n  options: {type: bigint}"))
    text = FieldType("text")
    pairs = Table("pairs", (Field("a", text, required=True), Field("b", text, required=True),
                            Field("n", FieldType("int"))), primary_key=("a", "b"))
    spec = {**case.migration.options, "model": "pairs", "field": "n"}
    problem = spec_error(dataclasses.replace(case.migration, options=spec), DataModel((pairs,)))
    assert (problem.code, problem.message) == ("pattern-key", "migration 'migrations/pattern': 'pairs' has no "
                                               "single-column integer, text or uuid key for the backfill to walk")


def test_add_unique_takes_a_group_of_fields(tmp_path: Path) -> None:
    case = project(tmp_path, DATA, migration("add_unique", "fields: [owner_id, rank]"))
    assert sql_step(case.plan("postgres").steps[0]).up == (
        'CREATE UNIQUE INDEX CONCURRENTLY "todos_owner_id_rank_key" ON "todos" ("owner_id", "rank")',)


def test_parameter_errors_are_located_at_the_migration(tmp_path: Path) -> None:
    case = project(tmp_path, DATA, migration("add_index", "options: {columns: [rank]}"))

    def error(**spec: object) -> str:
        problem = spec_error(dataclasses.replace(case.migration, options={"model": "todos", **spec},
                                                 allow_destructive=bool(spec.pop("destructive", False))),
                             case.specs.data)
        assert (problem.file, problem.line) == (MIGRATION_FILE, 2)
        message = problem.message.removeprefix("migration 'migrations/pattern': ")
        return f"{problem.code}: {message}"

    assert error(pattern="add_column", options={"type": "int"}) == (
        "pattern-parameter: pattern add_column needs `options: {column: ...}`")
    assert error(pattern="add_column", options={"column": "title"}) == (
        "name-taken: 'todos' already has a field 'title'")
    assert error(pattern="add_column", options={"column": "size", "type": "bigg"}) == (
        "unknown-type: column 'size': unknown type 'bigg'")
    assert error(pattern="add_column", options={"column": "size", "type": "int", "required": True}) == (
        "new-required-field: column 'todos.size' is required and has no default: the rows already in the table "
        "have no value for it")
    assert error(pattern="add_column", options={"column": "size", "type": "int", "required": "yes"}) == (
        "schema-type: column 'size': 'required' must be true or false, not a string")
    assert error(pattern="rename_column", field="titel", options={"to": "headline"}).startswith(
        "unknown-field: 'titel' is not a field of 'todos'")
    assert error(pattern="rename_column", field="title", options={"to": "rank"}) == (
        "name-taken: 'todos' already has a field 'rank'")
    assert error(pattern="change_type", field="rank", options={"type": "int"}) == (
        "pattern-parameter: field 'todos.rank' is of type int already")
    assert error(pattern="change_type", field="id", options={"type": "text"}).startswith(
        "pattern-key: 'todos.id' is in the primary key")
    assert error(pattern="change_type", field="note", options={"type": "enum"}) == (
        "enum-values: option `type`: enum field 'note' lists no values")
    assert error(pattern="add_index", options={"columns": ["rnk"]}) == (
        "unknown-column: the index: index column 'rnk' is not a field of this table")
    assert error(pattern="add_index", options={"columns": ["owner_id"], "name": "users"}) == (
        "name-taken: the index 'users' would take the name of table users")
    assert error(pattern="add_foreign_key", field="owner_id", options={"ref": "user"}).startswith(
        "unknown-ref: the reference: 'user' is not a table of the data model")
    assert error(pattern="add_foreign_key", field="owner_id", options={"ref": "users", "on_delete": "wipe"}) == (
        "schema-enum: the reference: 'wipe' is not a valid value for 'on_delete'")
    assert error(pattern="add_not_null", field="id") == "pattern-parameter: field 'todos.id' is NOT NULL already"
    assert error(pattern="add_unique", fields=["rank", "ranks"]).startswith(
        "unknown-field: 'ranks' is not a field of 'todos'")
    assert error(pattern="drop_column", field="note").startswith(
        "destructive: dropping 'todos.note' destroys its data")
    assert error(pattern="drop_column", field="id", destructive=True).startswith(
        "pattern-parameter: 'todos.id' cannot be dropped alone: it is in (id)")
