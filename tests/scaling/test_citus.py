"""`database: sharded` (generators/scaling/citus.py): the example's tables planned for Citus, what Citus would
refuse in them said before anything runs, and the DDL. The last test runs that DDL on a real Citus coordinator
when CITUS_URL names one (none is installed on the test machines)."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace

import psycopg
import pytest
import sqlglot
from sqlglot import exp

from dbbasic.generators.scaling.citus import Distribution, citus_sql, plan_distribution, problems
from dbbasic.specs.loader import load_file
from dbbasic.specs.model import DataModel, Field, FieldType, Table
from dbbasic.specs.validate import validate
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

PG = Dialect.get("postgres")


def example_model() -> DataModel:
    from conftest import REPO

    doc, found = load_file(REPO / "specs" / "data.yaml", REPO)
    assert doc is not None and not found
    specs, found = validate([doc], REPO)
    assert specs is not None
    return specs.data


MODEL = example_model()
TABLES = list(MODEL.tables)


def table(name: str) -> Table:
    found = MODEL.table(name)
    assert found is not None
    return found


def ref(name: str, to: str, required: bool = True) -> Field:
    return Field(name, FieldType("ref"), required=required, ref=to, on_delete="cascade")


def citus_ready(model: DataModel) -> DataModel:
    """The example changed as `problems()` asks: keys that include the tenant, and no ref Citus cannot check."""
    users, projects, todos = (model.table(n) for n in ("users", "projects", "todos"))
    assert users and projects and todos
    users = replace(users, fields=tuple(replace(f, unique=False) for f in users.fields), unique=(("email", "id"),))
    projects = replace(projects, primary_key=("id", "owner_id"))
    todos = replace(todos, primary_key=("id", "user_id"), fields=tuple(
        replace(f, type=FieldType("bigint"), ref=None, on_delete=None) if f.name == "project_id" else f
        for f in todos.fields))
    return DataModel((users, projects, todos))


def test_the_example_is_distributed_by_user_all_in_one_colocation_group() -> None:
    assert plan_distribution(TABLES) == [
        Distribution("users", "id", None),
        Distribution("projects", "owner_id", "users"),
        Distribution("todos", "user_id", "users"),
    ]
    assert plan_distribution(TABLES, column="user_id") == [
        Distribution("projects", None, None),  # no user_id: a reference table
        Distribution("users", "id", None),
        Distribution("todos", "user_id", "users"),
    ]


def test_what_citus_would_refuse_in_the_example_is_said_with_what_to_change() -> None:
    found = problems(TABLES, plan_distribution(TABLES))
    assert [p.split(";")[0].split(":")[0] for p in found] == ["users", "projects", "todos", found[3].split(":")[0]]
    assert found[0].startswith("users: unique (email) lacks the distribution column id")
    assert found[1].endswith("write `primary_key: [id, owner_id]`")
    assert found[2].endswith("write `primary_key: [id, user_id]`")
    assert found[3].startswith("todos.project_id refers to projects by project_id, which is not the distribution "
                               "column on both sides (todos.user_id, projects.owner_id)")
    ready = list(citus_ready(MODEL).tables)
    assert problems(ready, plan_distribution(ready)) == []


def test_a_reference_table_may_not_refer_to_a_distributed_one() -> None:
    labels = Table("labels", (Field("id", FieldType("id")), ref("todo_id", "todos")), ("id",))
    tables = [*citus_ready(MODEL).tables, labels]
    plan = plan_distribution(tables)
    assert Distribution("labels", None, None) in plan
    assert problems(tables, plan) == [
        "labels.todo_id refers to todos, a distributed table, from the reference table labels: Citus refuses a "
        "foreign key from a reference table to a distributed one; drop the ref or distribute labels by a column "
        "that refers to the tenant"]


def test_a_foreign_key_between_groups_and_a_nullable_or_missing_distribution_column_are_refused() -> None:
    users = Table("users", (Field("id", FieldType("id")),), ("id",))
    todos = Table("todos", (Field("id", FieldType("uuid")), ref("user_id", "users", required=False)))
    apart = [Distribution("users", "id", None), Distribution("todos", "user_id", None)]
    assert problems([users, todos], apart) == [
        "todos.user_id may be NULL: Citus refuses a row without its distribution column; make it `required: true`",
        "todos.user_id refers to users, which is not co-located with it: Citus checks a foreign key only within a "
        "co-location group; drop the ref or distribute both by the same tenant key"]
    assert problems([users], [Distribution("users", "tenant_id", None)]) == [
        "users: the distribution column tenant_id is not a field of it"]


def test_a_large_lookup_table_is_distributed_alone_rather_than_copied_to_every_node() -> None:
    events = Table("events", (Field("id", FieldType("id")), Field("kind", FieldType("text"))), ("id",))
    tables = [*TABLES, events]
    assert Distribution("events", None, None) in plan_distribution(tables)
    assert Distribution("events", "id", None) in plan_distribution(tables, rows={"events": 5_000_000})


def test_a_tenant_column_that_refers_to_several_tables_is_ambiguous() -> None:
    orgs = Table("orgs", (Field("id", FieldType("id")),), ("id",))
    other = Table("other", (Field("id", FieldType("id")), ref("owner_id", "orgs")), ("id",))
    with pytest.raises(ValueError, match=r"owner_id refers to several tables \(orgs, users\)"):
        plan_distribution([*TABLES, orgs, other], column="owner_id")


def test_the_ddl_puts_reference_tables_first_and_each_group_head_before_its_members() -> None:
    shuffled = [Distribution("todos", "user_id", "users"), Distribution("users", "id", None),
                Distribution("countries", None, None), Distribution('we"ird', "user_id", "users")]
    sql = citus_sql(shuffled)
    assert sql == [
        "SELECT create_reference_table('\"countries\"')",
        "SELECT create_distributed_table('\"users\"', 'id', colocate_with => 'none')",
        "SELECT create_distributed_table('\"todos\"', 'user_id', colocate_with => '\"users\"')",
        "SELECT create_distributed_table('\"we\"\"ird\"', 'user_id', colocate_with => '\"users\"')",
    ]
    for statement in sql:  # each one a plain SELECT of one function call, as PostgreSQL reads it
        tree = sqlglot.parse_one(statement, read="postgres")
        assert isinstance(tree, exp.Select) and len(tree.expressions) == 1


@pytest.mark.skipif(not os.environ.get("CITUS_URL"), reason="set CITUS_URL to a Citus coordinator to run the "
                                                            "generated DDL")
def test_the_ddl_distributes_the_example_on_a_real_citus_coordinator() -> None:
    model = citus_ready(MODEL)
    tables = list(model.tables)
    plan = plan_distribution(tables)
    schema = f"dbbasic_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(os.environ["CITUS_URL"], autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
        conn.execute(f"CREATE SCHEMA {PG.quote(schema)}")
        try:
            conn.execute(f"SET search_path TO {PG.quote(schema)}, public")  # Citus's citus_tables view is in public
            for t in tables:
                conn.execute(ddl.create_table(PG, t, model))
            for statement in citus_sql(plan):
                conn.execute(statement)
            rows = conn.execute(
                "SELECT c.relname, ct.citus_table_type, ct.distribution_column FROM citus_tables ct "
                "JOIN pg_class c ON c.oid = ct.table_name WHERE c.relnamespace = %s::regnamespace ORDER BY 1",
                (schema,)).fetchall()
            assert rows == [("projects", "distributed", "owner_id"), ("todos", "distributed", "user_id"),
                            ("users", "distributed", "id")]
            colocated = conn.execute(
                "SELECT count(DISTINCT colocation_id) FROM citus_tables ct JOIN pg_class c ON c.oid = ct.table_name "
                "WHERE c.relnamespace = %s::regnamespace", (schema,)).fetchone()
            assert colocated == (1,)
        finally:
            conn.execute(f"DROP SCHEMA {PG.quote(schema)} CASCADE")
