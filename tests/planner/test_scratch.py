"""The planner's dry run (dbbasic/planner/scratch.py): an answer's steps run for real on a scratch database of
invented rows, its checks evaluated and its `down` proven, before the answer is accepted.

The answers are the guard's (tests/planner/test_guard.py): AVATARS as a model would write it, and variants of it
that the guard accepts but the sample rows refuse.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from conftest import write_project
from test_guard import AVATARS, DATA

from dbbasic import api
from dbbasic.plan.model import Plan
from dbbasic.planner.guard import check_answer
from dbbasic.planner.scratch import NO_SCRATCH, SCHEMA_PREFIX, DryRun, dry_run
from dbbasic.specs.model import DataModel, Source
from dbbasic.sql.dialect import Dialect

# The guard's data model, with a unique email to break.
UNIQUE_EMAIL = DATA.replace("      email: email\n", "      email: {type: email, unique: true}\n")
# AVATARS, with a backfill that skips the users whose name is blank: the check finds them.
SKIPS_BLANK_NAMES = {"steps": [AVATARS["steps"][0], {
    **AVATARS["steps"][1], "batched": "UPDATE users SET initials = upper(substr(name, 1, 1)) WHERE trim(name) <> '' "
                                      "AND id > %(after)s AND id <= %(upto)s"}, AVATARS["steps"][2]]}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> DataModel:
    root = write_project(tmp_path_factory.mktemp("scratch"), {
        "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n", "specs/data.yaml": UNIQUE_EMAIL})
    validation = api.validate(root)
    assert validation.specs is not None, validation.problems
    return validation.specs.data


@pytest.fixture(params=["sqlite", "postgres"])
def scratch(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """Each dialect, with where its dry run may make a scratch database (PostgreSQL: the test server)."""
    if request.param == "sqlite":
        return "sqlite", None
    return "postgres", str(request.getfixturevalue("pg_url"))


def plan_of(answer: dict[str, Any], model: DataModel, dialect: str) -> Plan:
    """The plan an accepted answer makes, as the planner builds it."""
    verdict = check_answer(json.dumps(answer), model=model, dialect=Dialect.get(dialect))
    assert verdict.accepted, verdict.reasons
    return Plan("migrations/avatars", "Add avatars to users", dialect, Source("specs/migrations/avatars.yaml", 1,
                                                                             "0" * 64), "planner", 1, verdict.steps)


def run(answer: dict[str, Any], model: DataModel, scratch: tuple[str, str | None]) -> DryRun:
    dialect, url = scratch
    return dry_run(plan_of(answer, model, dialect), model, scratch_url=url)


def scratch_schemas(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT schema_name FROM information_schema.schemata "
                                           "WHERE schema_name LIKE %s", (SCHEMA_PREFIX + "%",))]


def test_the_avatars_answer_passes(model: DataModel, scratch: tuple[str, str | None]) -> None:
    manual = {"manual": "make the application set initials for new users"}
    result = run({"steps": [*AVATARS["steps"], manual]}, model, scratch)
    where = "a scratch SQLite file" if scratch[0] == "sqlite" else "a scratch PostgreSQL schema"
    assert result == DryRun(scratch[0], True, (), f"ran on {where} with 200 sample rows per table; 1 check passed; "
                                                  "rolled back cleanly")
    assert result.passed


def test_steps_outside_a_transaction_and_new_rows_run_as_on_a_target(model: DataModel,
                                                                     scratch: tuple[str, str | None]) -> None:
    # The users' ids were left to the database: a new user gets the next one, as on a real table.
    answer = {"steps": [
        {"sql": {"postgres": "CREATE INDEX CONCURRENTLY users_name ON users (name)",
                 "sqlite": "CREATE INDEX users_name ON users (name)"},
         "down": {"postgres": "DROP INDEX CONCURRENTLY users_name", "sqlite": "DROP INDEX users_name"},
         "transactional": False},
        {"sql": "INSERT INTO users (name) VALUES ('Support Team')", "down": "DELETE FROM users WHERE id = 201"},
        {"check": "SELECT max(id) FROM users", "expect": 201}]}
    result = run(answer, model, scratch)
    assert result.passed and result.note.endswith("; 1 check passed; rolled back cleanly"), result

def test_a_check_that_the_sample_rows_fail_refuses_the_answer(model: DataModel,
                                                                scratch: tuple[str, str | None]) -> None:
    result = run(SKIPS_BLANK_NAMES, model, scratch)
    assert result.ran and not result.passed
    [reason] = result.reasons
    assert reason.startswith("step 3 (check): on the sample rows the query returned ")
    assert reason.endswith(", expected 0; make the steps before it leave every row as the check expects (rows with "
                           "NULL, empty or odd values too), or correct the check")


@pytest.mark.parametrize(("answer", "message"), [
    ({"steps": [{"sql": "UPDATE users SET name = NULL WHERE trim(name) = ''",
                 "down": "UPDATE users SET name = '' WHERE name IS NULL"}]},
     {"sqlite": "NOT NULL constraint failed: users.name",
      "postgres": 'null value in column "name" of relation "users" violates not-null constraint'}),
    ({"steps": [AVATARS["steps"][0], {"sql": "UPDATE users SET email = 'same@example.com' WHERE id < 10",
                                      "down": "UPDATE users SET email = NULL WHERE id < 0"}]},
     {"sqlite": "UNIQUE constraint failed: users.email",
      "postgres": 'duplicate key value violates unique constraint "users_email_key"'}),
], ids=["not null", "unique"])
def test_an_update_the_constraints_refuse_names_its_step(model: DataModel, scratch: tuple[str, str | None],
                                                         answer: dict[str, Any], message: dict[str, str]) -> None:
    result = run(answer, model, scratch)
    [reason] = result.reasons
    number = len(answer["steps"])
    assert reason.startswith(f"step {number} (sql): on the sample rows it fails: {message[scratch[0]]}"), reason
    assert reason.endswith("; make it work on every row the data model allows: NULL where a column allows it, empty "
                           "and blank text, names with accents, one word or spaces around them")
    assert "Traceback" not in reason


@pytest.mark.parametrize(("answer", "difference"), [
    ({"steps": [{"sql": "UPDATE users SET name = trim(name) WHERE name <> trim(name)",
                 "down": "UPDATE users SET name = name WHERE id < 0"}]},
     "step 1 (sql): rolling back left users different: "),
    ({"steps": [AVATARS["steps"][0], {**AVATARS["steps"][1], "down": "UPDATE users SET initials = NULL WHERE id < 0"},
                AVATARS["steps"][2]]},
     "step 2 (batched): rolling back left users different: 200 rows are not as before, e.g. "),
    ({"steps": [{**AVATARS["steps"][0], "down": "UPDATE users SET name = name WHERE id < 0"}]},
     "step 1 (sql): rolling back left users different: column initials exists but was not expected; "),
], ids=["a change that cannot be undone", "a down that undoes nothing", "a column left behind"])
def test_a_down_that_does_not_restore_the_rows_is_refused(model: DataModel, scratch: tuple[str, str | None],
                                                          answer: dict[str, Any], difference: str) -> None:
    [reason] = run(answer, model, scratch).reasons
    assert reason.startswith(difference), reason
    assert reason.endswith("; make its `down` restore every column and value exactly as they were before the step "
                           "(keep the old values in a column of their own when the change cannot be reversed)")


def test_the_difference_shows_a_row_before_and_after(model: DataModel) -> None:
    [reason] = run({"steps": [{"sql": "UPDATE users SET name = 'x' WHERE id = 1",
                               "down": "UPDATE users SET email = 'y@example.com' WHERE id = 1"}]},
                   model, ("sqlite", None)).reasons
    assert reason.startswith("step 1 (sql): rolling back left users different: 1 row is not as before, e.g. "
                             "(1, 'Ada Lovelace', ")
    assert "is now (1, 'x', 'y@example.com');" in reason


def test_a_step_without_down_is_refused(model: DataModel) -> None:
    answer = {"steps": [AVATARS["steps"][0], {"sql": "UPDATE users SET initials = 'x' WHERE id = 1"}]}
    assert run(answer, model, ("sqlite", None)).reasons == (
        "step 2 (sql): it has no `down`, so rolling back cannot undo it; add `down:` with the statements that undo it",)


def test_postgres_plans_are_not_dry_run_without_a_scratch_url(model: DataModel) -> None:
    assert dry_run(plan_of(AVATARS, model, "postgres"), model) == DryRun("postgres", False, (), NO_SCRATCH)
    assert NO_SCRATCH == ("not dry-run: set DBBASIC_SCRATCH_URL to a PostgreSQL database dbbasic may create a "
                          "scratch schema in")


def test_the_scratch_schema_is_dropped_and_the_database_untouched(model: DataModel, pg_url: str) -> None:
    for answer in (AVATARS, SKIPS_BLANK_NAMES):
        dry_run(plan_of(answer, model, "postgres"), model, scratch_url=pg_url)
    assert scratch_schemas(pg_url) == []
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                            ).fetchone() == (0,)


def test_an_unreachable_scratch_database_is_a_note_without_its_password(model: DataModel) -> None:
    result = dry_run(plan_of(AVATARS, model, "postgres"), model,
                     scratch_url="postgresql://dbbasic:s3cret-pass@127.0.0.1:1/scratch")
    assert (result.ran, result.reasons) == (False, ())
    assert result.note.startswith("not dry-run: cannot connect to postgresql://dbbasic:***@127.0.0.1:1/scratch: ")
    assert "s3cret" not in result.note
