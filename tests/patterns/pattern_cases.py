"""One helper for every pattern's tests: a project with a pattern migration, its plans compiled with
`compile_pattern`, applied and rolled back with the runner on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import write_project

from dbbasic import api
from dbbasic.errors import Problem, SpecError
from dbbasic.generators.patterns import compile_pattern
from dbbasic.generators.schema import compile_data_model
from dbbasic.plan.lint import lint_plan
from dbbasic.plan.model import BatchedStep, DdlStep, OnlineDdlStep, Plan, Step
from dbbasic.runner import history
from dbbasic.runner.apply import apply_plan
from dbbasic.runner.connect import Database, connect, resolve_target
from dbbasic.runner.rollback import rollback_plan
from dbbasic.specs.model import DataModel, Migration, Project, Specs
from dbbasic.sql.dialect import Dialect

PROJECT = "project:\n  dialects: [postgres, sqlite]\n"
MIGRATION_FILE = "specs/migrations/pattern.yaml"


@dataclass
class Case:
    root: Path
    specs: Specs

    @property
    def migration(self) -> Migration:
        [migration] = self.specs.migrations
        return migration

    def plan(self, dialect: str, migration: Migration | None = None) -> Plan:
        return compile_pattern(migration or self.migration, self.specs.data, Dialect.get(dialect))

    def schema(self, dialect: str) -> Plan:
        plan = compile_data_model(self.specs.data, Dialect.get(dialect))
        assert plan is not None
        return plan


def project(tmp_path: Path, data: str, migration: str) -> Case:
    """A project with `data` (the text of specs/data.yaml) and one pattern migration (its YAML, from
    `migration:` on, which starts on line 2 of its file)."""
    root = write_project(tmp_path / "project", {"specs/dbbasic.yaml": PROJECT, "specs/data.yaml": data,
                                                MIGRATION_FILE: "# a pattern migration\n" + migration.lstrip("\n")})
    validation = api.validate(root)
    assert validation.specs is not None and not validation.errors, [p.render() for p in validation.problems]
    return Case(root, validation.specs)


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite:") else "postgres"


@contextmanager
def database(url: str, root: Path) -> Iterator[Database]:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        yield db
    finally:
        db.close()


def apply(db: Database, *plans: Plan) -> None:
    history.ensure(db)
    for plan in plans:
        apply_plan(db, plan)


def rollback(db: Database, plan: Plan) -> None:
    rollback_plan(db, plan, history.records(db))


def insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    q = db.dialect.quote
    with db.transaction():
        for row in rows:
            db.execute(f"INSERT INTO {q(table)} ({', '.join(q(c) for c in row)}) "
                       f"VALUES ({', '.join(f'%({c})s' for c in row)})", row)


def rows(db: Database, table: str, columns: list[str], key: str = "id") -> list[tuple[Any, ...]]:
    q = db.dialect.quote
    return db.query(f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)} ORDER BY {q(key)}")


def columns(db: Database, table: str) -> list[str]:
    if db.dialect.name == "sqlite":
        return [str(r[0]) for r in db.query("SELECT name FROM pragma_table_info(%(t)s) ORDER BY cid", {"t": table})]
    return [str(r[0]) for r in db.query("SELECT column_name FROM information_schema.columns WHERE table_name = %(t)s "
                                        "ORDER BY ordinal_position", {"t": table})]


def spec_error(migration: Migration, model: DataModel, dialect: str = "postgres") -> Problem:
    """The one problem compile_pattern reports."""
    with pytest.raises(SpecError) as raised:
        compile_pattern(migration, model, Dialect.get(dialect))
    [problem] = raised.value.problems
    return problem


def lint_errors(plan: Plan) -> list[str]:
    return [f"{f.rule} {f.step}: {f.message}" for f in lint_plan(plan).findings if f.level == "error"]


def sql_step(step: Step) -> DdlStep | OnlineDdlStep | BatchedStep:
    """A step that runs SQL statements (with `up`, `down`, `lock`)."""
    assert isinstance(step, (DdlStep, OnlineDdlStep, BatchedStep)), step
    return step


def exact_rows(db: Database, table: str) -> list[str]:
    """Every row of `table` as text that tells types apart (SQLite's quote() shows 1, 1.0 and '1' differently;
    PostgreSQL's row text comes from the column types), in a stable order: two dumps are equal only when
    the rows are, byte for byte."""
    q = db.dialect.quote
    if db.dialect.name == "sqlite":
        values = " || ',' || ".join(f"quote({q(c)})" for c in columns(db, table))
        return [str(r[0]) for r in db.query(f"SELECT {values} FROM {q(table)} ORDER BY 1")]
    return [str(r[0]) for r in db.query(f"SELECT CAST(t AS text) FROM {q(table)} AS t ORDER BY 1")]
