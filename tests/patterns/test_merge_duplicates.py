"""merge_duplicates: compiled, applied and rolled back on SQLite and PostgreSQL (see `db_url`): the rows kept,
the references repointed, the mapping tables, and a rollback that gives back every row byte for byte."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from dumps import dump
from pattern_cases import (
    MIGRATION_FILE,
    Case,
    apply,
    database,
    dialect_of,
    exact_rows,
    insert,
    lint_errors,
    project,
    rollback,
    rows,
    spec_error,
)

from dbbasic.errors import ApplyError
from dbbasic.generators.patterns import merge_duplicates
from dbbasic.generators.patterns.merge_duplicates import match_key
from dbbasic.plan.model import CheckStep, DdlStep
from dbbasic.runner.connect import Database

DATA = """
    data:
      users:
        fields:
          id: id
          email: email
          name: text
          created_at: timestamp
      todos:
        fields:
          id: id
          user_id: {ref: users, required: true, on_delete: cascade}
          reviewer_id: {ref: users}
          title: {type: text, required: true}
      memberships:
        primary_key: [user_id, team]
        fields:
          user_id: {ref: users, required: true}
          team: {type: text, required: true}
    """
MIGRATION = """
migration:
  task: "Merge users with the same email"
  pattern: merge_duplicates
  model: users
  fields: [email]
"""
# Three groups: {1, 2, 3} (case and spaces), {4, 5} (4 has no created_at: it sorts last), {8, 9} (tabs, line
# breaks, runs of spaces). Never matched: NULL (6, 7), blank (10, 11), and É, which only ASCII folding would
# have to turn into é (12, 13).
USERS: list[dict[str, Any]] = [
    {"id": 1, "email": "ada@example.com", "name": "Ada Lovelace", "created_at": "2024-01-02T00:00:00Z"},
    {"id": 2, "email": " ADA@Example.com ", "name": None, "created_at": "2024-01-01T00:00:00Z"},
    {"id": 3, "email": "ada@example.COM", "name": None, "created_at": "2024-01-03T00:00:00Z"},
    {"id": 4, "email": "alan@example.com", "name": "Alan", "created_at": None},
    {"id": 5, "email": "Alan@Example.com", "name": None, "created_at": "2024-01-04T00:00:00Z"},
    {"id": 6, "email": None, "name": "No Mail", "created_at": "2024-01-05T00:00:00Z"},
    {"id": 7, "email": None, "name": "No Mail", "created_at": "2024-01-05T00:00:00Z"},
    {"id": 8, "email": "grace hopper@example.com", "name": "Grace", "created_at": "2024-01-05T00:00:00Z"},
    {"id": 9, "email": " Grace \t  Hopper@EXAMPLE.com\n", "name": "G", "created_at": "2024-01-06T00:00:00Z"},
    {"id": 10, "email": "", "name": "Blank", "created_at": None},
    {"id": 11, "email": " \t ", "name": "Blank", "created_at": None},
    {"id": 12, "email": "zoé@example.com", "name": "Zoé", "created_at": None},
    {"id": 13, "email": "ZOÉ@example.com", "name": "Zoé", "created_at": None},
]
TODOS: list[dict[str, Any]] = [
    {"id": 1, "user_id": 1, "reviewer_id": 3, "title": "write"},
    {"id": 2, "user_id": 2, "reviewer_id": 2, "title": "test"},
    {"id": 3, "user_id": 3, "reviewer_id": None, "title": "ship"},
    {"id": 4, "user_id": 5, "reviewer_id": 4, "title": "plan"},
    {"id": 5, "user_id": 6, "reviewer_id": 7, "title": "rest"},
    {"id": 6, "user_id": 9, "reviewer_id": None, "title": "debug"},
]
MEMBERSHIPS: list[dict[str, Any]] = [
    {"user_id": 1, "team": "core"}, {"user_id": 2, "team": "docs"}, {"user_id": 3, "team": "ops"},
    {"user_id": 4, "team": "core"}, {"user_id": 13, "team": "core"},
]
# merged -> kept, for each `keep:`
MAPPINGS = {
    "oldest": [(1, 2), (3, 2), (4, 5), (9, 8)],
    "newest": [(1, 3), (2, 3), (4, 5), (8, 9)],
    "most_complete": [(2, 1), (3, 1), (4, 5), (9, 8)],  # {4, 5} and {8, 9} tie: the oldest is kept
}
TABLES = ["users", "todos", "memberships"]


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return project(tmp_path, DATA, MIGRATION)


def with_options(case: Case, **options: object) -> Case:
    migration = dataclasses.replace(case.migration, options={**case.migration.options, "options": options})
    return dataclasses.replace(case, specs=dataclasses.replace(case.specs, migrations=(migration,)))


def fill(db: Database) -> None:
    insert(db, "users", USERS)
    insert(db, "todos", TODOS)
    insert(db, "memberships", MEMBERSHIPS)


def snapshot(url: str, db: Database) -> tuple[str, dict[str, list[str]]]:
    return dump(url, schema_only=True), {t: exact_rows(db, t) for t in TABLES}


def test_the_rule_folds_ascii_case_and_collapses_spaces() -> None:
    assert match_key(" ADA@Example.com ") == match_key("ada@example.COM") == "ada@example.com"
    assert match_key(" Grace \t  Hopper@EXAMPLE.com\n") == "grace hopper@example.com"
    assert match_key("ZOÉ@example.com") == "zoÉ@example.com" != match_key("zoé@example.com")
    assert [match_key(v) for v in (None, "", " \t\r\n ")] == [None, None, None]


def test_merge_applies_then_rolls_back_to_every_row_it_found(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        fill(db)
        before = snapshot(db_url, db)

        apply(db, plan)
        assert rows(db, "users_merged", ["merged_key", "kept_key"], key="merged_key") == MAPPINGS["oldest"]
        assert [r[0] for r in rows(db, "users", ["id"])] == [2, 5, 6, 7, 8, 10, 11, 12, 13]
        assert rows(db, "todos", ["id", "user_id", "reviewer_id"]) == [
            (1, 2, 2), (2, 2, 2), (3, 2, None), (4, 5, 5), (5, 6, 7), (6, 8, None)]
        assert db.query('SELECT "user_id", "team" FROM "memberships" ORDER BY 1, 2') == [
            (2, "core"), (2, "docs"), (2, "ops"), (5, "core"), (13, "core")]
        # The merged rows as they were, and exactly the references that moved (todo 2 pointed at 2 already).
        assert exact_rows(db, "users_merged_rows") == sorted(
            r for r in before[1]["users"] if r.startswith(("1,", "3,", "4,", "9,", "(1,", "(3,", "(4,", "(9,")))
        recorded = db.query('SELECT "ref_table", "ref_column", CAST("row_key" AS text), "merged_key" '
                            'FROM "users_merged_refs" '
                            "ORDER BY 1, 2, 4")
        assert [(t, c, str(k).replace(" ", ""), m) for t, c, k, m in recorded] == [
            ("memberships", "user_id", '[2,"core"]', 1), ("memberships", "user_id", '[2,"ops"]', 3),
            ("memberships", "user_id", '[5,"core"]', 4),
            ("todos", "reviewer_id", "[1]", 3), ("todos", "reviewer_id", "[4]", 4),
            ("todos", "user_id", "[1]", 1), ("todos", "user_id", "[3]", 3), ("todos", "user_id", "[6]", 9)]

        rollback(db, plan)
        assert snapshot(db_url, db) == before


@pytest.mark.parametrize("keep", ["newest", "most_complete"])
def test_keep_picks_the_row_each_group_keeps(case: Case, db_url: str, keep: str) -> None:
    dialect = dialect_of(db_url)
    plan = with_options(case, keep=keep, mapping="merged_users").plan(dialect)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        fill(db)
        before = snapshot(db_url, db)
        apply(db, plan)
        assert rows(db, "merged_users", ["merged_key", "kept_key"], key="merged_key") == MAPPINGS[keep]
        kept = dict(MAPPINGS[keep])
        assert rows(db, "todos", ["id", "user_id"]) == [(t["id"], kept.get(t["user_id"], t["user_id"]))
                                                        for t in TODOS]
        rollback(db, plan)
        assert snapshot(db_url, db) == before


def test_several_fields_match_together_and_by_orders_the_group(tmp_path: Path, db_url: str) -> None:
    data = """
        data:
          contacts:
            fields:
              code: {type: text, primary_key: true}
              org: int
              name: text
              seen: date
        """
    migration = """
migration:
  task: "Merge contacts"
  pattern: merge_duplicates
  model: contacts
  fields: [org, name]
  options: {keep: newest, by: seen}
"""
    case = project(tmp_path, data, migration)
    dialect = dialect_of(db_url)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "contacts", [
            {"code": "a", "org": 1, "name": "Ann  Lee", "seen": "2024-03-01"},
            {"code": "b", "org": 1, "name": "ann lee", "seen": "2024-03-02"},
            {"code": "c", "org": 2, "name": "Ann Lee", "seen": "2024-03-03"},
            {"code": "d", "org": None, "name": "Ann Lee", "seen": "2024-03-04"},
            {"code": "e", "org": 1, "name": "ANN LEE", "seen": "2024-03-02"},  # a tie: the higher key is newer
        ])
        apply(db, case.plan(dialect))
        assert rows(db, "contacts_merged", ["merged_key", "kept_key"], key="merged_key") == [("a", "e"), ("b", "e")]
        assert [r[0] for r in rows(db, "contacts", ["code"], key="code")] == ["c", "d", "e"]
    # A text key says nothing of age: without `by:`, newest and oldest are errors.
    unordered = dataclasses.replace(case.migration, options={**case.migration.options, "options": {"keep": "oldest"}})
    assert spec_error(unordered, case.specs.data).message.endswith(
        "`keep: oldest` needs `by:`, a field that orders the rows of 'contacts' by age: it has no created_at and its "
        "key 'code' is of type text")


def test_a_key_of_two_references_and_a_reference_to_itself_go_back_exactly(tmp_path: Path, db_url: str) -> None:
    """friends (a, b) holds two references in its key; people.invited_by points into the table itself, and
    two merged rows invited each other."""
    data = """
        data:
          people:
            fields:
              id: id
              email: {type: email, required: true}
              invited_by: {ref: people}
          friends:
            primary_key: [a, b]
            fields:
              a: {ref: people, required: true}
              b: {ref: people, required: true}
        """
    migration = """
migration:
  task: "Merge people"
  pattern: merge_duplicates
  model: people
  fields: [email]
"""
    case = project(tmp_path, data, migration)
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "people", [{"id": 1, "email": "x@example.com"}, {"id": 3, "email": "y@example.com"},
                              {"id": 2, "email": "X@example.com"}, {"id": 4, "email": "Y@example.com"},
                              {"id": 5, "email": "z@example.com", "invited_by": 4}])
        with db.transaction():
            db.execute('UPDATE "people" SET "invited_by" = 4 WHERE "id" = 2')
            db.execute('UPDATE "people" SET "invited_by" = 2 WHERE "id" = 4')
        insert(db, "friends", [{"a": 2, "b": 4}, {"a": 1, "b": 5}, {"a": 4, "b": 5}, {"a": 2, "b": 1}])
        before = dump(db_url, schema_only=True), exact_rows(db, "people"), exact_rows(db, "friends")

        apply(db, plan)
        assert rows(db, "people", ["id", "invited_by"]) == [(1, None), (3, None), (5, 3)]
        assert db.query('SELECT "a", "b" FROM "friends" ORDER BY 1, 2') == [(1, 1), (1, 3), (1, 5), (3, 5)]

        rollback(db, plan)
        assert (dump(db_url, schema_only=True), exact_rows(db, "people"), exact_rows(db, "friends")) == before


def test_a_repointing_that_would_break_a_unique_key_stops_before_anything_changes(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    assert isinstance(plan.steps[0], CheckStep) and plan.steps[0].id == "1-check-users-references"
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        fill(db)
        insert(db, "memberships", [{"user_id": 3, "team": "docs"}])  # 3 merges into 2, which is in docs
        before = snapshot(db_url, db)
        with pytest.raises(ApplyError, match="check 1-check-users-references failed: the query returned 1"):
            apply(db, plan)
        assert snapshot(db_url, db) == before


def test_the_plan_checks_creates_merges_verifies_without_lint_errors(case: Case) -> None:
    for dialect in ("postgres", "sqlite"):
        plan = case.plan(dialect)
        assert [(s.id, type(s)) for s in plan.steps] == [
            ("1-check-users-references", CheckStep), ("2-create-users_merged", DdlStep),
            ("3-merge-users", DdlStep), ("4-verify-users-duplicates", CheckStep),
            ("5-verify-users-references", CheckStep)]
        assert (plan.generator, plan.generator_version) == ("pattern.merge_duplicates", merge_duplicates.VERSION)
        assert lint_errors(plan) == []
        merge = plan.steps[2]
        assert isinstance(merge, DdlStep) and merge.down is not None
        assert merge.up[-1] == ('DELETE FROM "users" WHERE "id" IN (SELECT "merged_key" FROM "users_merged")')
        locks = [s for s in merge.up if s.endswith("FOR UPDATE")]
        assert len(locks) == (2 if dialect == "postgres" else 0)
        assert merge.down[0] == 'INSERT INTO "users" SELECT * FROM "users_merged_rows"'


def test_wrong_parameters_are_located_errors_with_the_usage(case: Case) -> None:
    def error(**spec: object) -> str:
        problem = spec_error(dataclasses.replace(case.migration, options={"pattern": "merge_duplicates", **spec}),
                             case.specs.data)
        assert (problem.file, problem.line) == (MIGRATION_FILE, 2)
        assert "usage: `pattern: merge_duplicates`" in problem.hint or problem.code in ("pattern-key", "name-taken", "name-too-long")
        return f"{problem.code}: {problem.message.removeprefix('migration ' + repr(case.migration.id) + ': ')}"

    assert error(model="users") == ("pattern-parameter: pattern merge_duplicates needs `fields:`, a list of one or "
                                    "more fields of 'users'")
    assert error(model="users", field="email") == "pattern-parameter: pattern merge_duplicates takes no `field:`"
    assert error(model="users", fields=["mail"]) == "unknown-field: 'mail' is not a field of 'users'"
    assert error(model="users", fields=["email", "email"]) == "pattern-parameter: `fields:` names 'email' twice"
    assert error(model="users", fields=["created_at"]) == (
        "field-type: field 'users.created_at' is of type timestamp; pattern merge_duplicates takes a field of type "
        "text or string or email or phone or url or int or bigint or bool or date or enum or a reference")
    assert error(model="users", fields=["id"]) == (
        "pattern-parameter: `fields:` names the primary key 'id', which has no duplicates")
    assert error(model="memberships", fields=["team"]) == (
        "pattern-key: the key (user_id, team) of 'memberships' has 2 columns; pattern merge_duplicates maps a "
        "merged row to its kept row by a single-column key")
    assert error(model="users", fields=["email"], options={"keep": "latest"}) == (
        "pattern-parameter: option `keep` is one of oldest, newest, most_complete, not 'latest'")
    assert error(model="users", fields=["email"], options={"by": "name"}) == (
        "field-type: field 'users.name' is of type text; pattern merge_duplicates takes a field of type timestamp "
        "or date or int or bigint or id")
    assert error(model="users", fields=["email"], options={"mapping": "todos"}) == (
        "name-taken: the table 'todos' would take the name of table todos")
    assert error(model="users", fields=["email"], options={"mapping": "m" * 60}).startswith(
        "name-too-long: the mapping table '" + "m" * 60 + "_rows' would be 65 bytes")
