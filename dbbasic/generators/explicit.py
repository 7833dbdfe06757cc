"""Compile an explicit migration (`steps:` of sql, batched, check, manual) into a plan.

The SQL is the author's, already resolved per dialect by validation; this generator only says, for
each step, what lock it takes and how risky it is, so that the reviewer reads it in `plan.md`.
"""

from __future__ import annotations

from typing import cast

from dbbasic.plan.model import BatchedStep, CheckStep, CopyStep, DdlStep, ManualStep, OnlineDdlStep, Plan, Risk, Step
from dbbasic.specs.model import (
    BatchedStepSpec,
    CheckStepSpec,
    CopyStepSpec,
    ManualStepSpec,
    Migration,
    SqlStepSpec,
    StepSpec,
)
from dbbasic.sql.analyze import combine, statement_effect
from dbbasic.sql.dialect import Dialect

NAME = "explicit"
VERSION = 1


def compile_explicit(migration: Migration, dialect: Dialect) -> Plan:
    return Plan(id=migration.id, task=migration.task, description=migration.description, dialect=dialect.name,
                source=migration.source, generator=NAME, generator_version=VERSION,
                steps=tuple(_step(spec, dialect) for spec in migration.steps))


def _step(spec: StepSpec, dialect: Dialect) -> Step:
    if isinstance(spec, ManualStepSpec):
        return ManualStep(spec.id, spec.action, spec.description)
    if isinstance(spec, CheckStepSpec):
        return CheckStep(spec.id, spec.sql[dialect.name][0], spec.expect, spec.description)
    down = spec.down[dialect.name] if spec.down is not None else None
    if isinstance(spec, CopyStepSpec):
        return CopyStep(spec.id, spec.source, spec.table, spec.into, spec.key, spec.columns, spec.batch_rows,
                        spec.target_ms, down, lock=dialect.LOCKS["rows"] + ", one batch at a time",
                        description=spec.description)
    up = spec.sql[dialect.name]
    lock, risk = combine([statement_effect(dialect, s) for s in up])
    if isinstance(spec, BatchedStepSpec):
        return BatchedStep(spec.id, spec.table, spec.key, up, spec.batch_rows, spec.target_ms, down,
                           lock=dialect.LOCKS["rows"] + ", one batch at a time", risk=cast(Risk, risk),
                           description=spec.description)
    assert isinstance(spec, SqlStepSpec)
    kind = DdlStep if spec.transactional else OnlineDdlStep
    return kind(spec.id, up, down, dialect.LOCKS[lock], cast(Risk, risk), spec.description)

