"""`partitioning:` of the example's todos (generators/scaling/partitions.py) on the real PostgreSQL server of the
test suite: the 16 hash partitions and the monthly archive, where rows land, partition pruning, and the
maintenance statements (premake, retention, move); then what is refused before anything runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import psycopg
import pytest
from conftest import REPO

from dbbasic.generators.scaling.conversion import add_archive
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import DdlStep
from dbbasic.specs.loader import load_file
from dbbasic.specs.model import DataModel, Field, FieldType, Table
from dbbasic.specs.validate import validate
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.partitions import (
    ATTACHED_PARTITIONS,
    PartitionSet,
    child_partitions,
    condition_sql,
    move_sql,
    parse_partition_set,
    partition_name,
    premake_sql,
    problems,
    retention_sql,
)

PG = Dialect.get("postgres")
ACTIVE = {"by": "hash(user_id)", "partitions": 16, "when": "status in ('todo', 'in_progress')"}
ARCHIVE = {"by": "range(archived_at)", "interval": "month", "premake": 3, "retention": "12 months",
           "move": "status = 'done' and created_at < now() - interval '30 days'"}


def example_model() -> DataModel:
    """The example project's data model, as validation gives it to every generator."""
    doc, found = load_file(REPO / "specs" / "data.yaml", REPO)
    assert doc is not None and not found
    specs, found = validate([doc], REPO)
    assert specs is not None and not [p for p in found if p.level == "error"]
    return specs.data


MODEL = example_model()
TODOS = MODEL.table("todos")
assert TODOS is not None
TODOS_BY_USER = replace(TODOS, primary_key=("id", "user_id"))
"""The example's todos with the key the conversion gives it. Its id then has no default (the schema generator
gives `gen_random_uuid()` to a single-column uuid key only): the rows below bring their own."""
active = parse_partition_set("todos", "active", ACTIVE)
archive = parse_partition_set("todos", "archive", ARCHIVE)


@pytest.fixture
def db(pg_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """The example's users and projects, ready for a partitioned todos."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name in ("users", "projects"):
            table = MODEL.table(name)
            assert table is not None
            for sql in [ddl.create_table(PG, table, MODEL), *map(lambda i: ddl.create_index(PG, table, i),
                                                                    ddl.table_indexes(table))]:
                conn.execute(sql)
        conn.execute("INSERT INTO users (id, email, created_at) SELECT n, 'u' || n || '@example.com', now() "
                     "FROM generate_series(1, 100) n")
        yield conn


def run(conn: psycopg.Connection[tuple[object, ...]], statements: list[str]) -> None:
    for sql in statements:
        conn.execute(sql)


def partitioned(conn: psycopg.Connection[tuple[object, ...]], table: Table, pset: PartitionSet) -> None:
    """`table` made partitioned as `pset` says, with its partitions (as the conversion makes `<table>__new`)."""
    run(conn, [f"{ddl.create_table(PG, table, MODEL)} PARTITION BY {pset.method.upper()} ({PG.quote(pset.column)})",
               *child_partitions(table.name, pset, table)])


def archived(conn: psycopg.Connection[tuple[object, ...]], pset: PartitionSet, today: date) -> None:
    """todos_archive as the partitioning plan makes it (beside a todos), with its partitions from `today`."""
    if conn.execute("SELECT to_regclass('todos')").fetchone() == (None,):
        conn.execute(ddl.create_table(PG, TODOS_BY_USER, MODEL))
    steps = Steps(PG)
    add_archive(steps, TODOS_BY_USER, pset)
    create = steps.steps[0]
    assert isinstance(create, DdlStep)
    run(conn, [*create.up, *premake_sql(pset, today)])


def attached(conn: psycopg.Connection[tuple[object, ...]], table: str) -> list[str]:
    return [str(r[0]) for r in conn.execute(ATTACHED_PARTITIONS, {"table": PG.quote(table)})]


def scanned(conn: psycopg.Connection[tuple[object, ...]], query: str) -> set[str]:
    plan = "\n".join(str(r[0]) for r in conn.execute(f"EXPLAIN (COSTS OFF) {query}"))
    return set(re.findall(r" on (todos_p\d\d)\b", plan))


def test_the_example_todos_can_be_hash_partitioned_by_user_as_it_is() -> None:
    assert problems(TODOS, [active, archive]) == []  # its primary key gains user_id in the conversion


def test_rows_land_in_the_hash_partition_of_their_user_and_a_query_by_user_reads_only_that_one(db: psycopg.Connection[
        tuple[object, ...]]) -> None:
    partitioned(db, TODOS_BY_USER, active)
    assert attached(db, "todos") == [f"todos_p{i:02d}" for i in range(16)]
    db.execute("INSERT INTO todos (id, user_id, title) SELECT gen_random_uuid(), u, 'todo ' || n "
               "FROM generate_series(1, 100) u, generate_series(1, 3) n")

    placed = db.execute("SELECT user_id, tableoid::regclass::text FROM todos GROUP BY 1, 2").fetchall()
    assert len(placed) == 100  # each user's rows in one partition
    assert len({p for _, p in placed}) == 16  # and 100 users spread over all of them
    for user_id, partition in placed:  # the partition whose bound PostgreSQL's own hash says the user belongs to
        remainder = int(str(partition).removeprefix("todos_p"))
        assert db.execute("SELECT satisfies_hash_partition('todos'::regclass, 16, %s, %s::bigint)",
                          (remainder, user_id)).fetchone() == (True,)

    [(home,)] = db.execute("SELECT DISTINCT tableoid::regclass::text FROM todos WHERE user_id = 42").fetchall()
    assert scanned(db, "SELECT * FROM todos WHERE user_id = 42") == {home}
    assert len(scanned(db, "SELECT * FROM todos WHERE status = 'done'")) == 16


def test_the_archive_is_made_monthly_from_today_and_premake_adds_the_months_ahead_idempotently(db: psycopg.Connection[
        tuple[object, ...]]) -> None:
    archived(db, archive, date(2026, 11, 5))
    assert attached(db, "todos_archive") == ["todos_archive_2026_11", "todos_archive_2026_12",
                                             "todos_archive_2027_01", "todos_archive_2027_02"]
    db.execute("INSERT INTO todos_archive (id, user_id, title, archived_at) "
               "VALUES (gen_random_uuid(), 1, 'x', '2026-11-30 23:59:59+00'), (gen_random_uuid(), 1, 'y', '2026-12-01')")
    assert db.execute("SELECT title, tableoid::regclass::text FROM todos_archive ORDER BY 1").fetchall() == [
        ("x", "todos_archive_2026_11"), ("y", "todos_archive_2026_12")]

    later = premake_sql(archive, date(2027, 1, 10))
    run(db, later)
    run(db, later)  # the maintenance step runs again: nothing to do, nothing fails
    assert attached(db, "todos_archive") == [f"todos_archive_{m}" for m in (
        "2026_11", "2026_12", "2027_01", "2027_02", "2027_03", "2027_04")]


def test_retention_detaches_the_months_past_it_and_keeps_their_rows(db: psycopg.Connection[tuple[object, ...]]) -> None:
    archived(db, replace(archive, premake=13), date(2025, 10, 1))
    db.execute("INSERT INTO todos_archive (id, user_id, title, archived_at) "
               "VALUES (gen_random_uuid(), 1, 'old', '2025-10-20'), (gen_random_uuid(), 1, 'kept', '2025-11-02')")

    today = date(2026, 11, 5)  # 12 months back is 2025-11-05: October 2025 ended before it, November did not
    detach = retention_sql(archive, today, attached(db, "todos_archive"))
    assert detach == ['ALTER TABLE "todos_archive" DETACH PARTITION "todos_archive_2025_10"']
    run(db, detach)

    assert "todos_archive_2025_10" not in attached(db, "todos_archive")
    assert db.execute("SELECT title FROM todos_archive").fetchall() == [("kept",)]
    assert db.execute("SELECT title FROM todos_archive_2025_10").fetchall() == [("old",)]  # a table of its own now
    assert retention_sql(archive, today, attached(db, "todos_archive")) == []
    assert retention_sql(archive, date(2026, 12, 6), attached(db, "todos_archive"), drop=True) == [
        'ALTER TABLE "todos_archive" DETACH PARTITION "todos_archive_2025_11"', 'DROP TABLE "todos_archive_2025_11"']


def test_move_takes_the_matching_rows_only_into_this_months_archive(db: psycopg.Connection[tuple[object, ...]]) -> None:
    today = datetime.now(UTC).date()
    partitioned(db, TODOS_BY_USER, active)
    archived(db, archive, today)
    db.execute("INSERT INTO todos (id, user_id, status, title, created_at) VALUES "
               "(gen_random_uuid(), 1, 'done', 'done long ago', now() - interval '90 days'), "
               "(gen_random_uuid(), 2, 'done', 'done today', now()), "
               "(gen_random_uuid(), 3, 'todo', 'open long ago', now() - interval '90 days')")

    columns = [f.name for f in TODOS_BY_USER.fields]
    [move] = move_sql("todos", "todos_archive", archive, columns)
    run(db, [move])

    assert db.execute("SELECT title FROM todos ORDER BY 1").fetchall() == [("done today",), ("open long ago",)]
    assert db.execute("SELECT title, tableoid::regclass::text, archived_at > now() - interval '1 minute' "
                      "FROM todos_archive").fetchall() == [("done long ago", partition_name("todos_archive", archive,
                                                                                              today.replace(day=1)), True)]
    run(db, [move])  # nothing left to move
    assert db.execute("SELECT count(*) FROM todos_archive").fetchone() == (1,)


@pytest.mark.parametrize("text", ["1=1; DROP TABLE x", "(DELETE FROM x)", "status = 'done'; DELETE FROM todos",
                                  "EXISTS (WITH d AS (DELETE FROM x RETURNING 1) SELECT 1 FROM d)", "SELECT 1", "42", ""])
def test_a_condition_that_is_not_one_reading_boolean_expression_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        condition_sql(text)


def test_a_condition_is_re_rendered_by_sqlglot() -> None:
    assert condition_sql("status in ('todo', 'in_progress')") == "status IN ('todo', 'in_progress')"
    assert condition_sql("user_id in (select id from users where email like '%@x.org')") == (
        "user_id IN (SELECT id FROM users WHERE email LIKE '%@x.org')")


def test_partition_names_follow_the_interval() -> None:
    week, day, year = (replace(archive, interval=i) for i in ("week", "day", "year"))
    assert [partition_name("todos", active, i) for i in (0, 15)] == ["todos_p00", "todos_p15"]
    assert partition_name("todos_archive", archive, date(2026, 11, 1)) == "todos_archive_2026_11"
    assert partition_name("todos_archive", day, date(2026, 11, 5)) == "todos_archive_2026_11_05"
    assert partition_name("todos_archive", week, date(2026, 11, 2)) == "todos_archive_2026w45"
    assert partition_name("todos_archive", year, date(2026, 1, 1)) == "todos_archive_2026"
    assert retention_sql(week, date(2026, 11, 5), ["todos_archive_2025w44", "todos_archive_2025w45", "other"]) == [
        'ALTER TABLE "todos_archive" DETACH PARTITION "todos_archive_2025w44"']


@pytest.mark.parametrize(("spec", "message"), [
    ({"by": "user_id"}, "must be hash(column), range(column) or list(column)"),
    ({"by": "hash(user_id); drop table x"}, "must be hash(column)"),
    ({"by": "hash(user_id)"}, "hash partitioning needs `partitions:`"),
    ({"by": "range(created_at)"}, "range partitioning needs `interval:`"),
    ({"by": "range(created_at)", "interval": "fortnight"}, "must be one of day, week, month, year"),
    ({"by": "range(created_at)", "interval": "month", "retention": "a year"}, "must read N day(s), week(s)"),
    ({"by": "range(created_at)", "interval": "month", "move": "1=1; DROP TABLE x"}, "write it under `archive:`"),
    ({"by": "hash(user_id)", "partitions": 4, "when": "1=1; DROP TABLE x"}, "not a single SQL condition"),
    ({"by": "hash(user_id)", "partitions": 4, "shards": 2}, "unknown key shards"),
])
def test_a_spec_that_does_not_say_how_to_partition_is_refused_plainly(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_partition_set("todos", "active", spec)


def test_the_archive_is_range_partitioned_and_its_retention_is_normalised() -> None:
    with pytest.raises(ValueError, match="an archive is range-partitioned"):
        parse_partition_set("todos", "archive", {"by": "hash(user_id)", "partitions": 4})
    assert parse_partition_set("todos", "archive", {"by": "range(archived_at)", "interval": "week",
                                                    "retention": "1 weeks"}) == PartitionSet(
        "todos", "archive", "range", "archived_at", None, "week", 4, "1 week", None, None)


def test_problems_say_what_postgresql_would_refuse() -> None:
    users = MODEL.table("users")
    assert users is not None
    by = {name: parse_partition_set("users", "active", spec) for name, spec in {
        "missing": {"by": "hash(tenant_id)", "partitions": 4},
        "one": {"by": "hash(id)", "partitions": 1},
        "text": {"by": "range(full_name)", "interval": "month"},
        "list": {"by": "list(phone)"},
        "email": {"by": "hash(created_at)", "partitions": 4},
    }.items()}
    found = {name: problems(users, [pset]) for name, pset in by.items()}
    assert found["missing"] == ["partitioning.users.active: tenant_id is not a field of users; "
                                "partition by one of its fields"]
    assert found["one"] == ["partitioning.users.active: users.email is unique on its own; PostgreSQL requires every "
                            "primary key and unique constraint of a partitioned table to include it: drop `unique: "
                            "true` and write `unique: [[email, id]]` on the table (unique per id)",
                            "partitioning.users.active: hash partitioning into 1 partition(s) divides nothing; "
                            "use `partitions: 2` or more"]
    assert "needs a date or timestamp column; full_name is text" in found["text"][-1]
    assert "list(phone) needs an enum field" in found["list"][-1]
    assert found["email"] == ["partitioning.users.active: users.email is unique on its own; PostgreSQL requires "
                              "every primary key and unique constraint of a partitioned table to include it: drop "
                              "`unique: true` and write `unique: [[email, created_at]]` on the table (unique per "
                              "created_at)"]
    projects = MODEL.table("projects")
    assert projects is not None
    assert "unique (owner_id, name) of projects lacks the partition column id; PostgreSQL requires" in problems(
        projects, [parse_partition_set("projects", "active", {"by": "hash(id)", "partitions": 4})])[0]
    long = Table("t" * 60, (Field("id", FieldType("id")), Field("at", FieldType("timestamp"))), ("id",))
    assert "longer than PostgreSQL keeps (63 bytes)" in problems(long, [parse_partition_set(
        long.name, "archive", {"by": "range(archived_at)", "interval": "day"})])[0]


def test_list_partitions_one_per_enum_value(db: psycopg.Connection[tuple[object, ...]]) -> None:
    by_status = parse_partition_set("todos", "active", {"by": "list(status)"})
    keyed = replace(TODOS, primary_key=("id", "status"))
    assert problems(keyed, [by_status]) == []
    partitioned(db, keyed, by_status)
    db.execute("INSERT INTO todos (id, user_id, status, title) "
               "VALUES (gen_random_uuid(), 1, 'done', 'a'), (gen_random_uuid(), 1, 'todo', 'b')")
    assert db.execute("SELECT status, tableoid::regclass::text FROM todos ORDER BY 1").fetchall() == [
        ("done", "todos_p02"), ("todo", "todos_p00")]
