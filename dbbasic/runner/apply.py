"""Run plans against a database, step by step, remembering each step in `dbbasic_history`.

A transactional step runs with its history row in one transaction: it is applied and recorded, or
neither. A batched step commits each batch with its checkpoint, so a crash resumes at the next batch.
A failure is recorded in a transaction of its own, after the step's was rolled back.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dbbasic.errors import ApplyError, PlanError
from dbbasic.plan.model import BatchedStep, CheckStep, DdlStep, ManualStep, Plan, Step
from dbbasic.runner import history
from dbbasic.runner.connect import Database, redact


@dataclass
class StepResult:
    plan_id: str
    step_id: str
    status: str  # "applied", "skipped" (already applied), "would run" (dry run), "waiting" (manual)
    rows: int = 0
    statements: list[str] = field(default_factory=list)


Report = Callable[[StepResult], None]


class ManualStepPending(PlanError):
    """Apply stopped at a manual step; a person acts, then confirms."""


def drifted_steps(plan: Plan, records: list[history.StepRecord]) -> list[str]:
    """Steps applied as something other than what the plan now says (or no longer in it)."""
    steps = {s.id: s for s in plan.steps}
    return [r.step_id for r in records if r.plan_id == plan.id and r.status == "applied"
            and (r.step_id not in steps or r.step_hash != plan.step_hash(steps[r.step_id]))]


def plan_state(plan: Plan, records: list[history.StepRecord]) -> str:
    """applied | pending | partial | failed | drifted, from the plan and its history rows."""
    if drifted_steps(plan, records):
        return "drifted"
    mine = {r.step_id: r for r in records if r.plan_id == plan.id}
    applied = [s for s in plan.steps if mine.get(s.id) and mine[s.id].status == "applied"]
    if len(applied) == len(plan.steps):
        return "applied"
    if any(r.status == "failed" for r in mine.values()):
        return "failed"
    return "partial" if applied or mine else "pending"


def apply_plan(db: Database, plan: Plan, *, dry_run: bool = False, confirmed: frozenset[str] = frozenset(),
               report: Report = lambda result: None) -> list[StepResult]:
    """Run the steps of `plan` not yet applied; raise ApplyError (nothing of the step left) on failure."""
    found = history.records(db, plan.id)
    drifted = drifted_steps(plan, found)
    if drifted:
        raise PlanError(f"plan {plan.id}: step {drifted[0]} was applied as something other than what the plan "
                        "now says", plan.id,
                        "an applied step cannot change: undo the spec edit and write a new migration instead")
    records = {r.step_id: r for r in found}
    results = []
    for step in plan.steps:
        record = records.get(step.id)
        if record is not None and record.step_hash != plan.step_hash(step):
            record = None  # a failed step that was changed since: its checkpoint belongs to other SQL
        if record is not None and record.status == "applied":
            result = StepResult(plan.id, step.id, "skipped", record.rows_touched)
        elif dry_run:
            result = StepResult(plan.id, step.id, "would run", statements=_statements(step))
        else:
            result = _run(db, plan, step, record, confirmed)
        results.append(result)
        report(result)
        if result.status == "waiting":
            assert isinstance(step, ManualStep)
            raise ManualStepPending(f"plan {plan.id} waits for a person at step {step.id}: {step.action}", plan.id,
                                    f"when it is done, run apply again with --confirm {plan.id}:{step.id}")
    return results


def _statements(step: Step) -> list[str]:
    if isinstance(step, (DdlStep, BatchedStep)):
        return list(step.up)
    if isinstance(step, CheckStep):
        return [step.sql]
    return [f"-- manual: {step.action}"]


def _run(db: Database, plan: Plan, step: Step, record: history.StepRecord | None,
         confirmed: frozenset[str]) -> StepResult:
    try:
        if isinstance(step, ManualStep):
            if f"{plan.id}:{step.id}" not in confirmed:
                return StepResult(plan.id, step.id, "waiting")
            with db.transaction():
                history.record(db, plan, step, "applied")
            return StepResult(plan.id, step.id, "applied")
        if isinstance(step, BatchedStep):
            return _run_batched(db, plan, step, record)
        if isinstance(step, CheckStep):
            return _run_check(db, plan, step)
        return _run_ddl(db, plan, step)
    except ApplyError:
        raise
    except Exception as exc:  # a database error: record it, then report it as ours
        message = redact(" ".join(str(exc).split())) or type(exc).__name__
        _record_failure(db, plan, step, message)
        raise ApplyError(f"plan {plan.id}, step {step.id} failed: {message}", plan.id, step.id,
                         getattr(exc, "sqlstate", None)) from exc


def _record_failure(db: Database, plan: Plan, step: Step, message: str) -> None:
    """Remember the failure; over a lost connection it cannot, and that is fine: the step's
    transaction was rolled back, so the next apply simply runs it again."""
    with contextlib.suppress(Exception):  # the original error is the one to report
        history.record_failure(db, plan, step, message)


def _run_ddl(db: Database, plan: Plan, step: DdlStep) -> StepResult:
    rows = 0
    if step.transactional:
        with db.transaction():
            for statement in step.up:
                rows += db.execute(statement)
            history.record(db, plan, step, "applied", rows=rows)
    else:
        for statement in step.up:
            rows += db.execute(statement)
        with db.transaction():
            history.record(db, plan, step, "applied", rows=rows)
    return StepResult(plan.id, step.id, "applied", rows)


def _run_check(db: Database, plan: Plan, step: CheckStep) -> StepResult:
    rows = db.query_read_only(step.sql)
    value = rows[0][0] if rows and rows[0] else None
    if not _same(value, step.expect):
        message = (f"plan {plan.id}, check {step.id} failed: the query returned {value!r}, "
                   f"expected {step.expect!r}")
        _record_failure(db, plan, step, message)
        raise ApplyError(message, plan.id, step.id)
    with db.transaction():
        history.record(db, plan, step, "applied")
    return StepResult(plan.id, step.id, "applied")


def _same(value: Any, expect: Any) -> bool:
    numbers = (int, float, Decimal)
    if isinstance(value, numbers) and isinstance(expect, numbers) and not isinstance(expect, bool):
        return Decimal(str(value)) == Decimal(str(expect))
    if isinstance(expect, bool) and isinstance(value, int):
        return bool(value) == expect
    return value == expect or (value is not None and str(value) == str(expect))


def _run_batched(db: Database, plan: Plan, step: BatchedStep, record: history.StepRecord | None) -> StepResult:
    q = db.dialect.quote
    table, key = q(step.table), q(step.key)
    rows = record.rows_touched if record else 0
    after: Any = json.loads(record.checkpoint) if record and record.checkpoint else None
    if after is None:
        lowest = db.query(f"SELECT {key} FROM {table} WHERE {key} IS NOT NULL ORDER BY {key} LIMIT 1")
        after = _below(plan, step, lowest[0][0]) if lowest else None
    next_bound = (f"SELECT {key} FROM {table} WHERE {key} > %(after)s ORDER BY {key} "
                  f"LIMIT 1 OFFSET {int(step.batch_rows) - 1}")
    last_key = f"SELECT {key} FROM {table} WHERE {key} > %(after)s ORDER BY {key} DESC LIMIT 1"  # no max(uuid)
    while after is not None:
        found = db.query(next_bound, {"after": after}) or db.query(last_key, {"after": after})
        upto = _key_value(found[0][0]) if found else None
        if upto is None:
            break
        with db.transaction():
            rows += sum(db.execute(s, {"after": after, "upto": upto}) for s in step.up)
            history.record(db, plan, step, "running", rows=rows, checkpoint=json.dumps(upto))
        after = upto
    with db.transaction():
        history.record(db, plan, step, "applied", rows=rows,
                       checkpoint=json.dumps(after) if after is not None else None)
    return StepResult(plan.id, step.id, "applied", rows)


def _key_value(value: Any) -> Any:
    """A key as the checkpoint keeps it: integers as they are, anything else (text, uuid) as text."""
    return value if isinstance(value, int) or value is None else str(value)


def _below(plan: Plan, step: BatchedStep, lowest: Any) -> Any:
    """A bound below every key, so that the first batch `key > bound` starts at the lowest key."""
    if isinstance(lowest, int):
        return lowest - 1
    floor = {str: "", uuid.UUID: str(uuid.UUID(int=0))}.get(type(lowest))
    if floor is None:
        raise ApplyError(f"plan {plan.id}, step {step.id}: batched key {step.table}.{step.key} holds "
                         f"{type(lowest).__name__} values; batches walk integer, text or uuid keys", plan.id, step.id)
    if _key_value(lowest) == floor:
        raise ApplyError(f"plan {plan.id}, step {step.id}: {step.table}.{step.key} holds {floor!r}, the lowest "
                         "possible key, which `key > %(after)s` can never reach", plan.id, step.id)
    return floor
