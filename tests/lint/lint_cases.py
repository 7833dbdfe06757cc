"""One helper for every rule's tests: lint one step, get the rendered findings of one rule."""

from __future__ import annotations

from dbbasic.plan.lint import lint_plan
from dbbasic.plan.model import DdlStep, OnlineDdlStep, Plan, Step
from dbbasic.specs.model import Source


def findings(rule: str, *steps: Step, dialect: str = "postgres", allow_destructive: bool = False,
             ignore: dict[str, str] | None = None) -> list[str]:
    plan = Plan("m", "test", dialect, Source("specs/m.yaml", 1, ""), "explicit", 1, tuple(steps))
    linted = lint_plan(plan, allow_destructive, ignore)
    return [f"{f.level}[{f.rule}] {f.step}: {f.message}. help: {f.help}" for f in linted.findings if f.rule == rule]


def ddl(*sql: str, down: tuple[str, ...] | None = ("SELECT 1",), transactional: bool = True
        ) -> DdlStep | OnlineDdlStep:
    return (DdlStep if transactional else OnlineDdlStep)("1-sql", tuple(sql), down)
