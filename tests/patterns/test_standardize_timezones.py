"""standardize_timezones: compiled, applied and rolled back on SQLite and PostgreSQL (see `db_url`) with
times in DST gaps and overlaps, absolute times and values that are not times in the table."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dumps import dump
from pattern_cases import (
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
)

from dbbasic.plan.model import CheckStep, DdlStep, TransformStep

DATA = """
    data:
      orders:
        fields:
          id: id
          placed_at: text
          amount: int
      events:
        fields:
          id: uuid
          at: timestamp
    """
MIGRATION = """
migration:
  task: "Standardize orders.placed_at"
  pattern: standardize_timezones
  model: orders
  field: placed_at
  options: {zone: America/New_York}
"""
# (stored wall time in New York, UTC, report note or None)
TIMES: list[tuple[str | None, str | None, str | None]] = [
    ("2024-07-01 12:00", "2024-07-01T16:00:00.000Z", None),
    ("2024-01-15T08:30:05.250", "2024-01-15T13:30:05.250Z", None),
    ("2024-03-10 02:30", "2024-03-10T07:30:00.000Z", "dst-gap"),
    ("2024-11-03 01:30", "2024-11-03T05:30:00.000Z", "dst-overlap"),
    ("2024-07-01T12:00:00+02:00", "2024-07-01T10:00:00.000Z", None),
    ("yesterday", None, "rejected"),
    (None, None, None),
    ("  ", None, None),
]


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return project(tmp_path, DATA, MIGRATION)


def _utc(text: str | None, dialect: str) -> object:
    """The new column's value as each database returns it: text on SQLite, a date-time on PostgreSQL."""
    if text is None or dialect == "sqlite":
        return text
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_the_plan_expands_converts_in_batches_then_verifies(case: Case) -> None:
    for dialect, output in (("postgres", "datetime"), ("sqlite", "text")):
        plan = case.plan(dialect)
        assert [type(s) for s in plan.steps] == [DdlStep, TransformStep, CheckStep]
        convert = plan.steps[1]
        assert isinstance(convert, TransformStep)
        assert (convert.column, convert.into, convert.log, convert.transform) == (
            "placed_at", "placed_at_utc", "orders_placed_at_report", "utc_timestamp")
        assert convert.parameters == {"zone": "America/New_York", "output": output}
        assert lint_errors(plan) == []


def test_times_become_utc_gaps_and_overlaps_are_counted_then_rollback_restores(case: Case, db_url: str) -> None:
    dialect = dialect_of(db_url)
    plan = case.plan(dialect)
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "orders", [{"id": n, "placed_at": at, "amount": n * 10} for n, (at, _, _) in
                              enumerate(TIMES, start=1)])
        schema_before = dump(db_url, schema_only=True)
        rows_before = rows(db, "orders", ["id", "placed_at", "amount"])

        apply(db, plan)
        assert columns(db, "orders") == ["id", "placed_at", "amount", "placed_at_utc"]
        assert rows(db, "orders", ["placed_at", "placed_at_utc"]) == [(at, _utc(utc, dialect)) for at, utc, _ in TIMES]
        report = db.query("SELECT row_key, original, note FROM orders_placed_at_report ORDER BY row_key")
        assert report == [(n, at, note) for n, (at, _, note) in enumerate(TIMES, start=1) if note]

        rollback(db, plan)
        assert dump(db_url, schema_only=True) == schema_before
        assert rows(db, "orders", ["id", "placed_at", "amount"]) == rows_before


def test_naive_times_in_a_timestamp_field_convert_alike_on_both(tmp_path: Path, db_url: str) -> None:
    """Naive times written into a timestamp field: SQLite keeps the text, PostgreSQL's timestamptz the
    instant they name in the session's zone (UTC here), which is read back as its wall time in UTC."""
    migration = """
migration:
  task: "Standardize events.at"
  pattern: standardize_timezones
  model: events
  field: at
  options: {zone: Europe/Paris, ambiguous: reject}
"""
    case = project(tmp_path, DATA, migration)
    dialect = dialect_of(db_url)
    naive = ["2024-07-01 12:00:00", "2024-10-27 02:30:00", "2024-03-31 02:30:00"]
    with database(db_url, case.root) as db:
        apply(db, case.schema(dialect))
        insert(db, "events", [{"id": f"00000000-0000-4000-8000-00000000000{n}", "at": at}
                              for n, at in enumerate(naive, start=1)])
        apply(db, case.plan(dialect))
        utc = ["2024-07-01T10:00:00.000Z", None, "2024-03-31T01:30:00.000Z"]  # Paris is UTC+2 in summer
        assert [r[0] for r in rows(db, "events", ["at_utc"])] == [_utc(u, dialect) for u in utc]
        assert db.query("SELECT note FROM events_at_report ORDER BY note") == [("dst-gap",), ("rejected",)]


def test_parameters_are_checked_where_the_migration_is_written(case: Case) -> None:
    def with_options(**options: object) -> object:
        return dataclasses.replace(case.migration, options={**case.migration.options, "options": options})

    assert "needs `options: {zone: ...}`" in spec_error(with_options(), case.specs.data).message
    problem = spec_error(with_options(zone="America/New_Yrok"), case.specs.data)
    assert (problem.code, problem.line) == ("pattern-parameter", 2)
    assert "did you mean 'America/New_York'" in problem.message
    assert "ambiguous must be one of" in spec_error(with_options(zone="UTC", ambiguous="first"),
                                                    case.specs.data).message
    assert spec_error(with_options(zone="UTC", into="amount"), case.specs.data).code == "name-taken"
    amount = dataclasses.replace(case.migration, options={**case.migration.options, "field": "amount"})
    assert spec_error(amount, case.specs.data).code == "field-type"
