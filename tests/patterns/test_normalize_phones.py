"""normalize_phones: compiled, applied and rolled back on SQLite and PostgreSQL (see `db_url`) with real
numbers, invalid ones and placeholders in the table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from dumps import dump
from pattern_cases import Case, apply, database, dialect_of, insert, lint_errors, project, rollback, rows, spec_error

from dbbasic.plan.model import CheckStep, DdlStep, TransformStep

DATA = """
    data:
      users:
        fields:
          id: id
          email: {type: email, required: true}
          phone: phone
          age: int
      contacts:
        primary_key: [user_id, kind]
        fields:
          user_id: {ref: users, required: true}
          kind: {type: text, required: true}
          phone: phone
    """
MIGRATION = """
migration:
  task: "Normalize users.phone"
  pattern: normalize_phones
  model: users
  field: phone
  options: {default_region: US}
"""
# (stored phone, after the plan, report row (result, note) or None when nothing is reported)
PHONES: list[tuple[str | None, str | None, tuple[str | None, str] | None]] = [
    ("(202) 555-0143", "+12025550143", ("+12025550143", "changed")),
    ("+12025550143", "+12025550143", None),
    ("+44 20 7946 0958", "+442079460958", ("+442079460958", "changed")),
    ("9999999999", "9999999999", (None, "rejected")),
    ("call me", "call me", (None, "rejected")),
    (None, None, None),
    ("", "", None),
    ("202 555 0143 ", "+12025550143", ("+12025550143", "changed")),
]


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return project(tmp_path, DATA, MIGRATION)


def test_the_plan_creates_a_report_rewrites_in_batches_then_verifies(case: Case) -> None:
    for dialect in ("postgres", "sqlite"):
        plan = case.plan(dialect)
        assert [type(s) for s in plan.steps] == [DdlStep, TransformStep, CheckStep]
        assert [s.id for s in plan.steps] == ["1-report-users_phone_report", "2-normalize-users.phone",
                                              "3-verify-users.phone"]
        rewrite = plan.steps[1]
        assert isinstance(rewrite, TransformStep)
        assert (rewrite.table, rewrite.key, rewrite.column, rewrite.into, rewrite.log) == (
            "users", "id", "phone", "phone", "users_phone_report")
        assert (rewrite.transform, rewrite.version, rewrite.parameters) == ("phone_e164", 1, {"default_region": "US"})
        assert lint_errors(plan) == []


def test_numbers_become_e164_invalid_ones_stay_and_are_reported_then_rollback_restores(case: Case,
                                                                                      db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": n, "email": f"u{n}@example.com", "phone": phone, "age": n}
                             for n, (phone, _, _) in enumerate(PHONES, start=1)])
        schema_before = dump(db_url, schema_only=True)
        rows_before = rows(db, "users", ["id", "email", "phone", "age"])

        apply(db, plan)
        assert rows(db, "users", ["phone"]) == [(after,) for _, after, _ in PHONES]
        report = db.query("SELECT row_key, original, result, note FROM users_phone_report ORDER BY row_key")
        assert report == [(n, phone, *reported) for n, (phone, _, reported) in enumerate(PHONES, start=1)
                          if reported is not None]
        reasons = dict(db.query("SELECT original, reason FROM users_phone_report WHERE note = 'rejected'"))
        assert "not a valid number" in reasons["9999999999"] and "letters" in reasons["call me"]

        # The application changed one value since: rollback leaves it as the application wrote it.
        db.execute("UPDATE users SET phone = '+13125550100' WHERE id = 3")
        rollback(db, plan)
        assert dump(db_url, schema_only=True) == schema_before
        restored = [r if r[0] != 3 else (3, "u3@example.com", "+13125550100", 3) for r in rows_before]
        assert rows(db, "users", ["id", "email", "phone", "age"]) == restored


def test_many_batches_and_a_second_apply_change_nothing_more(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    numbers = [f"(202) 555-{n:04}" for n in range(300)] + ["000"] * 20
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": n * 2, "email": f"u{n}@example.com", "phone": p} for n, p in enumerate(numbers)])
        apply(db, plan)
        apply(db, plan)
        assert rows(db, "users", ["phone"]) == [(f"+1202555{n:04}",) for n in range(300)] + [("000",)] * 20
        assert db.query("SELECT note, count(*) FROM users_phone_report GROUP BY note ORDER BY note") == [
            ("changed", 300), ("rejected", 20)]
        [record] = db.query("SELECT status, rows_touched, rows_expected FROM dbbasic_history "
                            "WHERE step_id = '2-normalize-users.phone'")
        assert record == ("applied", 300, 320)


def test_the_check_finds_a_number_written_in_another_form_after_the_rewrite(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    check = plan.steps[-1]
    assert isinstance(check, CheckStep)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "users", [{"id": 1, "email": "a@example.com", "phone": "202-555-0143"},
                             {"id": 2, "email": "b@example.com", "phone": "not a phone"}])
        apply(db, plan)
        assert db.query(check.sql) == [(0,)]
        insert(db, "users", [{"id": 3, "email": "c@example.com", "phone": "202-555-0144"},
                             {"id": 4, "email": "d@example.com", "phone": "+1202555014"},
                             {"id": 5, "email": "e@example.com", "phone": "+12025550145"}])
        assert db.query(check.sql) == [(1,)]  # only 3: the check tests the form, not the number


def test_parameters_are_checked_where_the_migration_is_written(case: Case) -> None:
    no_region = dataclasses.replace(case.migration, options={**case.migration.options, "options": {}})
    assert "needs `options: {default_region: ...}`" in spec_error(no_region, case.specs.data).message
    bad = dataclasses.replace(case.migration, options={**case.migration.options, "options": {"default_region": "Z"}})
    problem = spec_error(bad, case.specs.data)
    assert (problem.code, problem.file, problem.line) == ("pattern-parameter", "specs/migrations/pattern.yaml", 2)
    assert "region code that libphonenumber knows" in problem.message
    age = dataclasses.replace(case.migration, options={**case.migration.options, "field": "age"})
    assert spec_error(age, case.specs.data).code == "field-type"
    composite = dataclasses.replace(case.migration, options={**case.migration.options, "model": "contacts"})
    assert spec_error(composite, case.specs.data).code == "pattern-key"
