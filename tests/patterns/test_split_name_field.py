"""split_name_field: compiled, applied and rolled back on SQLite and PostgreSQL (see `db_url`); the SQL of
both dialects splits names exactly as `split_name`, the rule, does."""

from __future__ import annotations

import dataclasses
import random
import uuid
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

from dbbasic.generators.patterns import split_name_field
from dbbasic.generators.patterns.split_name_field import PARTICLES, split_name
from dbbasic.plan.model import SQL_STEPS, BatchedStep, CheckStep, DdlStep

DATA = """
    data:
      users:
        fields:
          id: id
          email: {type: email, required: true}
          full_name: string(200)
          age: int
      memberships:
        primary_key: [user_id, team]
        fields:
          user_id: {ref: users, required: true}
          team: {type: text, required: true}
          display: text
    """
MIGRATION = """
migration:
  task: "Split users.full_name"
  pattern: split_name_field
  model: users
  field: full_name
"""
# (full name, first name, last name): the examples of the pattern's rule.
EXAMPLES = [
    ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
    ("Maria de la Cruz", "Maria", "de la Cruz"),
    ("Jean-Luc Picard", "Jean-Luc", "Picard"),
    ("  Ada   Lovelace ", "Ada", "Lovelace"),
    ("Cher", "Cher", None),
    (None, None, None),
    ("", None, None),
    (" \t\n ", None, None),
    ("John Ronald Reuel Tolkien", "John Ronald Reuel", "Tolkien"),
    ("Vincent van der Berg", "Vincent", "van der Berg"),
    ("Robert De Niro", "Robert De", "Niro"),
    ("van Beethoven", "van", "Beethoven"),
    ("Maria de la", "Maria", "de la"),
    ("Grace\tBrewster\r\nHopper", "Grace Brewster", "Hopper"),
    ("Seán O'Brien", "Seán", "O'Brien"),
    ("Muhammad ibn Musa al Khwarizmi", "Muhammad ibn Musa", "al Khwarizmi"),
    ("50% Off", "50%", "Off"),
]


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return project(tmp_path, DATA, MIGRATION)


def test_the_rule_splits_the_examples() -> None:
    assert [split_name(full) for full, _, _ in EXAMPLES] == [(first, last) for _, first, last in EXAMPLES]


def test_split_applies_then_rolls_back_to_the_schema_and_rows_it_found(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": n, "email": f"u{n}@example.com", "full_name": full}
                             for n, (full, _, _) in enumerate(EXAMPLES, start=1)])
        schema_before = dump(db_url, schema_only=True)
        rows_before = rows(db, "users", ["id", "email", "full_name", "age"])

        apply(db, plan)
        assert columns(db, "users") == ["id", "email", "full_name", "age", "first_name", "last_name"]
        assert rows(db, "users", ["id", "full_name", "first_name", "last_name"]) == [
            (n, full, first, last) for n, (full, first, last) in enumerate(EXAMPLES, start=1)]

        rollback(db, plan)
        assert dump(db_url, schema_only=True) == schema_before
        assert rows(db, "users", ["id", "email", "full_name", "age"]) == rows_before


def test_the_sql_of_each_dialect_follows_the_rule_over_many_batches(case: Case, db_url: str) -> None:
    """Random names (particles in every place and case, runs of whitespace, blanks) in 400 rows, so that
    the backfill runs in many batches (a batch covers at most 1% of the table)."""
    chance = random.Random(20240611)
    words = ["Ada", "Lovelace", "Jean-Luc", "O'Neil", "Zoë", "X", "Van", "De", "Mary\u00a0Ann", "50%", "a\\b",
             *PARTICLES]
    names: list[str | None] = [None, "", "   "]
    while len(names) < 400:
        parts = [chance.choice(words) for _ in range(chance.randint(1, 6))]
        gaps = [chance.choice([" ", " ", "  ", "\t", " \n "]) for _ in parts]
        names.append(chance.choice(["", " ", "\t"]) + "".join(p + g for p, g in zip(parts, gaps, strict=True)))
    dialect = dialect_of(db_url)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": n * 3, "email": f"u{n}@example.com", "full_name": name}
                             for n, name in enumerate(names, start=1)])
        apply(db, case.plan(dialect))
        found = rows(db, "users", ["full_name", "first_name", "last_name"])
    assert found == [(name, *split_name(name)) for name in names]
    [record] = [r for r in _history(db_url, case) if r[0] == "2-backfill-users"]
    assert record == ("2-backfill-users", "applied", 400, 400)


def _history(url: str, case: Case) -> list[tuple[object, ...]]:
    with database(url, case.root) as db:
        return db.query("SELECT step_id, status, rows_touched, rows_expected FROM dbbasic_history ORDER BY step_id")


def test_text_and_uuid_keys_are_walked_too(tmp_path: Path, db_url: str) -> None:
    data = """
        data:
          people:
            fields:
              id: uuid
              name: text
          pets:
            fields:
              tag: {type: text, primary_key: true}
              name: text
        """
    migrations = """
migrations:
  - task: "Split people.name"
    pattern: split_name_field
    model: people
    field: name
  - task: "Split pets.name"
    pattern: split_name_field
    model: pets
    field: name
    options: {first: given, last: family}
"""
    case = project(tmp_path, data, migrations)
    people, pets = case.specs.migrations
    dialect = dialect_of(db_url)
    ids = sorted(str(uuid.UUID(int=n * 7919 + 1)) for n in range(len(EXAMPLES)))
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "people", [{"id": i, "name": full} for i, (full, _, _) in zip(ids, EXAMPLES, strict=True)])
        insert(db, "pets", [{"tag": f"t{n:02}", "name": full} for n, (full, _, _) in enumerate(EXAMPLES)])
        apply(db, case.plan(dialect, people), case.plan(dialect, pets))
        expected = [(first, last) for _, first, last in EXAMPLES]
        assert [(r[0], r[1]) for r in rows(db, "people", ["first_name", "last_name"])] == expected
        assert rows(db, "pets", ["given", "family"], key="tag") == expected


def test_the_check_counts_named_rows_left_without_a_first_name(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    check = plan.steps[-1]
    assert isinstance(check, CheckStep) and check.expect == 0
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": 1, "email": "a@example.com", "full_name": "Ada Lovelace"},
                             {"id": 2, "email": "b@example.com", "full_name": " \t "},
                             {"id": 3, "email": "c@example.com", "full_name": None}])
        apply(db, plan)
        assert db.query(check.sql) == [(0,)]
        # A row written after the backfill by an application that does not fill first_name yet:
        insert(db, "users", [{"id": 4, "email": "d@example.com", "full_name": "Alan Turing"},
                             {"id": 5, "email": "e@example.com", "full_name": "\n"}])
        assert db.query(check.sql) == [(1,)]


def test_the_plan_expands_backfills_in_batches_then_verifies(case: Case) -> None:
    for dialect in ("postgres", "sqlite"):
        plan = case.plan(dialect)
        assert [type(s) for s in plan.steps] == [DdlStep, BatchedStep, CheckStep]
        assert [s.id for s in plan.steps] == ["1-expand-users", "2-backfill-users", "3-verify-users"]
        expand, backfill = plan.steps[0], plan.steps[1]
        assert isinstance(expand, DdlStep) and isinstance(backfill, BatchedStep)
        assert expand.down == ('ALTER TABLE "users" DROP COLUMN "last_name"',
                               'ALTER TABLE "users" DROP COLUMN "first_name"')
        assert (backfill.table, backfill.key, backfill.down) == ("users", "id", ())
        assert all(s.down is not None for s in plan.steps if isinstance(s, SQL_STEPS))
        assert (plan.generator, plan.generator_version) == ("pattern.split_name_field", split_name_field.VERSION)
        assert lint_errors(plan) == []
    assert sql_step(case.plan("postgres").steps[0]).up == ('ALTER TABLE "users" ADD COLUMN "first_name" text',
                                                 'ALTER TABLE "users" ADD COLUMN "last_name" text')
    postgres, sqlite = case.plan("postgres").steps[1], case.plan("sqlite").steps[1]
    assert isinstance(postgres, BatchedStep) and isinstance(sqlite, BatchedStep)
    assert postgres.up[0].endswith('WHERE "id" > %(after)s AND "id" <= %(upto)s')
    assert 'WHERE "id" > :after AND "id" <= :upto' in sqlite.up[0]


def test_a_missing_field_is_a_located_error(case: Case) -> None:
    migration = dataclasses.replace(case.migration, options={**case.migration.options, "field": "fullname"})
    problem = spec_error(migration, case.specs.data)
    assert (problem.file, problem.line, problem.level, problem.code) == (MIGRATION_FILE, 2, "error", "unknown-field")
    assert problem.message == "migration 'migrations/pattern': 'fullname' is not a field of 'users'"
    assert problem.hint.startswith("did you mean 'full_name'? fields of 'users': age, email, full_name, id; "
                                   "usage: `pattern: split_name_field`")


def test_wrong_parameters_are_located_errors_with_the_usage(case: Case) -> None:
    def error(**options: object) -> str:
        problem = spec_error(dataclasses.replace(case.migration, options={"pattern": "split_name_field", **options}),
                             case.specs.data, "sqlite")
        assert (problem.file, problem.line) == (MIGRATION_FILE, 2)
        assert "usage: `pattern: split_name_field`" in problem.hint or problem.code == "pattern-key"
        return f"{problem.code}: {problem.message.removeprefix('migration ' + repr(case.migration.id) + ': ')}"

    assert error(model="user", field="full_name") == "unknown-model: model 'user' is not in the data model"
    assert error(model="users") == ("pattern-parameter: pattern split_name_field needs `field:`, the field of "
                                    "'users' it applies to")
    assert error(model="users", field="age") == ("field-type: field 'users.age' is of type int; pattern "
                                                 "split_name_field takes a field of type text or string")
    assert error(model="memberships", field="user_id") == (
        "field-type: field 'memberships.user_id' is a reference to users; pattern split_name_field takes a field "
        "of type text or string")
    assert error(model="memberships", field="display") == (
        "pattern-key: the key (user_id, team) of 'memberships': the backfill walks a single-column integer, text "
        "or uuid key")
    assert error(model="users", field="full_name", options={"first": "email"}) == (
        "name-taken: 'users' already has a field 'email'")
    assert error(model="users", field="full_name", options={"first": "n", "last": "n"}) == (
        "name-taken: the first and last name columns would both be named 'n'")
    assert error(model="users", field="full_name", fields=["a"]) == "pattern-parameter: pattern split_name_field " \
                                                                   "takes no `fields:`"
