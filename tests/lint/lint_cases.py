"""One helper for every rule's tests: lint one step, get the rendered findings of one rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dbbasic.plan.lint import lint_plan
from dbbasic.plan.model import BatchedStep, DdlStep, OnlineDdlStep, Plan, Step
from dbbasic.specs.model import Source


def findings(rule: str, *steps: Step, dialect: str = "postgres", allow_destructive: bool = False,
             ignore: dict[str, str] | None = None, indexed: Iterable[tuple[str, str]] = (),
             table_rows: Mapping[str, int] | None = None) -> list[str]:
    plan = Plan("m", "test", dialect, Source("specs/m.yaml", 1, ""), "explicit", 1, tuple(steps))
    linted = lint_plan(plan, allow_destructive, ignore, indexed=indexed, table_rows=table_rows)
    return [f"{f.level}[{f.rule}] {f.step}: {f.message}. help: {f.help}" for f in linted.findings if f.rule == rule]


def ddl(*sql: str, down: tuple[str, ...] | None = ("SELECT 1",), transactional: bool = True
        ) -> DdlStep | OnlineDdlStep:
    return (DdlStep if transactional else OnlineDdlStep)("1-sql", tuple(sql), down)


def online(*sql: str, step_id: str = "1-sql") -> OnlineDdlStep:
    """A `transactional: false` step."""
    return OnlineDdlStep(step_id, tuple(sql), ("SELECT 1",))


def step(step_id: str, *sql: str) -> DdlStep:
    """A transactional step with its own id, for plans of several steps."""
    return DdlStep(step_id, tuple(sql), ("SELECT 1",))


def batched(table: str, key: str, step_id: str = "2-batched") -> BatchedStep:
    return BatchedStep(step_id, table, key, (f"UPDATE {table} SET n = 0 WHERE {key} > %(after)s AND {key} <= %(upto)s",),
                       down=("SELECT 1",))
