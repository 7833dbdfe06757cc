"""The schema each plan expects to find and the schema it leaves, for the tables it touches.

Worked out at compile time by simulating the plans of one dialect in apply order on a model of the
schema (sql/schema_state.py), except for plans whose generator states them (the data model's). The
runner compares `expects` with the live database before a plan runs, which catches a table altered
by hand or a plan applied out of band.
"""

from __future__ import annotations

from collections.abc import Iterable

from dbbasic.plan.model import (
    BatchedStep,
    CheckStep,
    CopyStep,
    DdlStep,
    ImportStep,
    OnlineDdlStep,
    Plan,
    Step,
    TransformStep,
)
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.schema_state import SchemaState, apply_statement


def fingerprint_plans(plans: Iterable[Plan]) -> list[Plan]:
    """The plans (of one dialect, in apply order) with their `expects` and `leaves` filled in."""
    state = SchemaState()
    result = []
    for plan in plans:
        if plan.leaves:  # its generator knows what it builds (the data model): no need to simulate
            state = state.updated(plan.leaves)
            result.append(plan)
            continue
        dialect = Dialect.get(plan.dialect)
        after, touched = state, set[str]()
        for step in plan.steps:
            for statement in _statements(step):
                after, tables = apply_statement(after, dialect, statement)
                touched |= tables
            touched |= _tables(step)
        names = sorted(t for t in touched if not t.startswith("pg_"))  # PostgreSQL's catalog is not the app's
        result.append(plan.with_fingerprints(state.fingerprint(names), after.fingerprint(names)))
        state = after
    return result


def _statements(step: Step) -> tuple[str, ...]:
    if isinstance(step, (DdlStep, OnlineDdlStep, BatchedStep)):
        return step.up
    if isinstance(step, CheckStep):
        return (step.sql,)
    return ()


def _tables(step: Step) -> set[str]:
    if isinstance(step, CopyStep):
        return {step.into} | ({step.table} if not step.source else set())
    if isinstance(step, (BatchedStep, TransformStep, ImportStep)):
        return {step.table}
    return set()
