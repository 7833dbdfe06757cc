"""Run a plan against a database, step by step, remembering each step in `dbbasic_history`.

Each kind of step has its own runner (ddl.py, batches.py, copy.py, transform.py); this module decides which steps
are left to run, refuses drift, records failures and says what happens through events.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dbbasic.errors import ApplyError, PlanError
from dbbasic.plan.model import (
    SQL_STEPS,
    BatchedStep,
    CaptureStep,
    CheckStep,
    ConfigStep,
    CopyStep,
    CutoverStep,
    GateStep,
    ImportStep,
    MaintainStep,
    ManualStep,
    OnlineDdlStep,
    Plan,
    SettingsStep,
    Step,
    SyncStep,
    TransformStep,
    VerifyStep,
)
from dbbasic.runner import history
from dbbasic.runner.batches import run_batched
from dbbasic.runner.connect import Database, redact
from dbbasic.runner.copy import run_copy
from dbbasic.runner.cutover import run_capture, run_cutover, run_sync
from dbbasic.runner.ddl import Timeouts, run_ddl, run_online_ddl
from dbbasic.runner.events import Emit, Event, ignore
from dbbasic.runner.imports import ImportFiles, run_import
from dbbasic.runner.maintain import maintain_table
from dbbasic.runner.replay import Replayed, ReplayedTable, replay_pass
from dbbasic.runner.scaling import pragma_statements, run_config, run_gate, run_settings
from dbbasic.runner.transform import run_transform
from dbbasic.runner.verify import Compared, verify_table
from dbbasic.sql.partitions import PartitionSet


@dataclass
class StepResult:
    plan_id: str
    step_id: str
    status: str  # "applied", "skipped" (already applied), "would run" (dry run), "waiting" (manual, gate)
    rows: int = 0
    expected: int | None = None
    """Rows the step walked (batched) or read (copy), recorded beside the rows it touched."""
    seconds: float = 0.0
    statements: list[str] = field(default_factory=list)
    note: str = ""
    """Why a step waits."""


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    confirmed: frozenset[str] = frozenset()
    """`plan:step` of manual steps a person says are done."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    emit: Emit = ignore
    open_source: Callable[[str], Database] | None = None
    """Connects to another target by name, for copy steps that read from one."""
    files: ImportFiles | None = None
    """Where import steps find their sources and write their reports."""


class ManualStepPending(PlanError):
    """Apply stopped at a manual step; a person acts, then confirms."""


def live_records(plan: Plan, records: list[history.StepRecord]) -> dict[str, history.StepRecord]:
    """The plan's history rows that still count: a rolled-back step is as if it never ran."""
    return {r.step_id: r for r in records if r.plan_id == plan.id and r.status != "rolled_back"}


def drifted_steps(plan: Plan, records: list[history.StepRecord]) -> list[str]:
    """Steps applied as something other than what the plan now says (or no longer in it)."""
    steps = {s.id: s for s in plan.steps}
    return [r.step_id for r in live_records(plan, records).values() if r.status == "applied"
            and (r.step_id not in steps or r.step_hash != plan.step_hash(steps[r.step_id]))]


def plan_state(plan: Plan, records: list[history.StepRecord]) -> str:
    """applied | pending | partial | failed | drifted, from the plan and its history rows."""
    if drifted_steps(plan, records):
        return "drifted"
    mine = live_records(plan, records)
    applied = [s for s in plan.steps if s.id in mine and mine[s.id].status == "applied"]
    if len(applied) == len(plan.steps):
        return "applied"
    if any(r.status == "failed" for r in mine.values()):
        return "failed"
    return "partial" if mine else "pending"


def apply_plan(db: Database, plan: Plan, options: RunOptions = RunOptions()) -> list[StepResult]:
    """Run the steps of `plan` not yet applied; raise ApplyError (nothing of the step left) on failure."""
    found = history.records(db, plan.id)
    drifted = drifted_steps(plan, found)
    if drifted:
        raise PlanError(f"plan {plan.id}: step {drifted[0]} was applied as something other than what the plan "
                        "now says", plan.id,
                        "an applied step cannot change: undo the spec edit and write a new migration instead")
    records = live_records(plan, found)
    options.emit(Event("plan_started", plan.id))
    results = []
    for step in plan.steps:
        record = records.get(step.id)
        if record is not None and record.step_hash != plan.step_hash(step):
            record = None  # a failed step that was changed since: its checkpoint belongs to other SQL
        if record is not None and record.status == "applied":
            result = StepResult(plan.id, step.id, "skipped", record.rows_touched, record.rows_expected)
            options.emit(Event("step_skipped", plan.id, step.id, step.kind, rows=record.rows_touched))
        elif options.dry_run:
            result = StepResult(plan.id, step.id, "would run", statements=_statements(step))
            options.emit(Event("step_skipped", plan.id, step.id, step.kind, status="would run",
                               statements=tuple(result.statements)))
        else:
            options.emit(Event("step_started", plan.id, step.id, step.kind,
                               checkpoint=record.checkpoint if record else None))
            result = _run(db, plan, step, record, options)
            options.emit(Event("step_finished" if result.status == "applied" else "step_waiting", plan.id, step.id,
                               step.kind, rows=result.rows, expected=result.expected, elapsed=result.seconds,
                               status=result.status, message=result.note))
        results.append(result)
        if result.status == "waiting" and isinstance(step, GateStep):  # not there yet: later tiers wait too
            options.emit(Event("plan_finished", plan.id, status="waiting"))
            return results
        if result.status == "waiting":
            assert isinstance(step, ManualStep)
            raise ManualStepPending(f"plan {plan.id} waits for a person at step {step.id}: {step.action}", plan.id,
                                    f"when it is done, run apply again with --confirm {plan.id}:{step.id}")
    options.emit(Event("plan_finished", plan.id, status="applied" if not options.dry_run else "would run"))
    return results


def _statements(step: Step) -> list[str]:
    if isinstance(step, CopyStep):
        return [f"-- copy {step.table} into {step.into} by {', '.join(step.keys)}"]
    if isinstance(step, TransformStep):
        return [f"-- transform {step.table}.{step.column} into {step.into} with {step.transform} by {step.key}"]
    if isinstance(step, ImportStep):
        return [f"-- import {step.source} into {step.table}"]
    if isinstance(step, SQL_STEPS):
        return list(step.up)
    if isinstance(step, CheckStep):
        return [step.sql]
    if isinstance(step, VerifyStep):
        return [f"-- verify {step.table} against target {step.source}"]
    if isinstance(step, CaptureStep):
        return [f"-- on target {step.source}: {s}" for s in step.source_up]
    if isinstance(step, SyncStep):
        return [f"-- replay {step.log} of target {step.source} until at most {step.max_lag_rows} changes wait"]
    if isinstance(step, CutoverStep):
        return [f"-- freeze writes to target {step.source} ({step.freeze}), replay {step.log}, check", *step.after,
                *(f"-- on target {step.source}: {s}" for s in step.fence)]
    if isinstance(step, GateStep):
        return [f"-- gate: {step.metric} >= {step.at_least:g}", step.sql]
    if isinstance(step, SettingsStep):
        return list(pragma_statements(step.settings))
    if isinstance(step, ConfigStep):
        return [f"-- check the settings of files/{name}" for name in step.files]
    if isinstance(step, MaintainStep):
        return [f"-- maintain {step.table}: {', '.join(step.tasks)}"]
    return [f"-- manual: {step.action}"]


def _run(db: Database, plan: Plan, step: Step, record: history.StepRecord | None,
         options: RunOptions) -> StepResult:
    started = time.monotonic()
    expected: int | None = None
    try:
        if isinstance(step, ManualStep):
            if f"{plan.id}:{step.id}" not in options.confirmed:
                return StepResult(plan.id, step.id, "waiting")
            with db.transaction():
                history.record(db, plan, step, "applied")
            rows = 0
        elif isinstance(step, GateStep):
            value = run_gate(db, plan, step)
            if value < step.at_least:
                return StepResult(plan.id, step.id, "waiting", note=f"{step.metric} is {value:,g}; tier {step.tier} "
                                  f"starts at {step.at_least:,g}")
            rows = int(value)
        elif isinstance(step, SettingsStep):
            rows = len(run_settings(db, plan, step))
        elif isinstance(step, ConfigStep):
            rows = run_config(db, plan, step)
        elif isinstance(step, MaintainStep):
            made = maintain_table(db, step.table, [PartitionSet(**s) for s in step.sets], step.tasks)
            with db.transaction():
                history.record(db, plan, step, "applied", rows=len(made),
                               checkpoint=json.dumps([d.statement for d in made]))
            rows = len(made)
        elif isinstance(step, BatchedStep):
            rows, expected = run_batched(db, plan, step, record, options.timeouts, options.emit)
        elif isinstance(step, CopyStep):
            rows, expected = _run_copy(db, plan, step, record, options)
        elif isinstance(step, TransformStep):
            rows, expected = run_transform(db, plan, step, record, options.timeouts, options.emit)
        elif isinstance(step, ImportStep):
            if options.files is None:
                raise ApplyError(f"plan {plan.id}, step {step.id} imports a file, and no project directory was "
                                 "given to find it in", plan.id, step.id)
            rows, expected = run_import(db, plan, step, record, options.emit, options.files)
        elif isinstance(step, CheckStep):
            rows = _run_check(db, plan, step)
        elif isinstance(step, VerifyStep):
            rows = _run_verify(db, plan, step, options)
        elif isinstance(step, CaptureStep):
            with _source(plan, step, options) as source:
                rows = run_capture(db, source, plan, step)
        elif isinstance(step, SyncStep):
            with _source(plan, step, options) as source:
                rows = run_sync(db, source, plan, step, options.emit)
        elif isinstance(step, CutoverStep):
            with _source(plan, step, options) as source:
                rows, _ = run_cutover(db, source, plan, step, options.emit)
        elif isinstance(step, OnlineDdlStep):
            done = int(record.checkpoint) if record and record.checkpoint else 0
            rows = run_online_ddl(db, plan, step, done, options.timeouts)
        else:
            rows = run_ddl(db, plan, step, options.timeouts)
    except ApplyError:
        raise
    except Exception as exc:  # a database error: record it, then report it as ours
        message = redact(" ".join(str(exc).split())) or type(exc).__name__
        _record_failure(db, plan, step, message)
        raise ApplyError(f"plan {plan.id}, step {step.id} failed: {message}", plan.id, step.id,
                         getattr(exc, "sqlstate", None)) from exc
    return StepResult(plan.id, step.id, "applied", rows, expected, time.monotonic() - started)


def _run_copy(db: Database, plan: Plan, step: CopyStep, record: history.StepRecord | None,
              options: RunOptions) -> tuple[int, int]:
    if not step.source:
        return run_copy(db, db, plan, step, record, options.emit)
    with _source(plan, step, options) as source:
        return run_copy(db, source, plan, step, record, options.emit)


def _run_verify(db: Database, plan: Plan, step: VerifyStep, options: RunOptions) -> int:
    replayed: list[Replayed] = []
    with _source(plan, step, options) as source:
        verdict = verify_table(source, db, step.table, step.key,
                               [Compared(*c) for c in zip(step.columns, step.types, step.select, strict=True)],
                               step.sample, (lambda: replayed.append(_replay(db, source, plan, step.log)))
                               if step.log else None)
    if verdict.difference is not None:
        message = f"plan {plan.id}, step {step.id}: the copy differs from the source: {verdict.difference.describe()}"
        _record_failure(db, plan, step, redact(message))
        raise ApplyError(redact(message), plan.id, step.id)
    with db.transaction():  # a synced move's verify remembers the moment it compared (the cutover's check)
        history.record(db, plan, step, "applied", rows=verdict.rows,
                       checkpoint=str(replayed[0].upto) if replayed else None)
    return verdict.rows


def _replay(db: Database, source: Database, plan: Plan, log: str) -> Replayed:
    """Replay the change log `log` as the plan's sync step describes its tables."""
    sync = next((s for s in plan.steps if isinstance(s, SyncStep) and s.log == log), None)
    if sync is None:
        raise PlanError(f"plan {plan.id} replays the change log {log} but has no sync step describing it", plan.id,
                        "recompile the plan with `dbbasic plan --replan`")
    return replay_pass(db, source, plan.id, log, [ReplayedTable.from_data(t) for t in sync.tables])


@contextlib.contextmanager
def _source(plan: Plan, step: CopyStep | VerifyStep | CaptureStep | SyncStep | CutoverStep, options: RunOptions
            ) -> Iterator[Database]:
    """The other database a step reads, open for the step only."""
    if options.open_source is None:
        raise ApplyError(f"plan {plan.id}, step {step.id} reads from target {step.source}, which is not open",
                         plan.id, step.id)
    source = options.open_source(step.source)
    try:
        yield source
    finally:
        source.close()


def _record_failure(db: Database, plan: Plan, step: Step, message: str) -> None:
    """Remember the failure; over a lost connection it cannot, and that is fine: the step's
    transaction was rolled back, so the next apply simply runs it again."""
    with contextlib.suppress(Exception):  # the original error is the one to report
        history.record_failure(db, plan, step, message)


def _run_check(db: Database, plan: Plan, step: CheckStep) -> int:
    rows = db.query_read_only(step.sql)
    value = rows[0][0] if rows and rows[0] else None
    if not _same(value, step.expect):
        message = (f"plan {plan.id}, check {step.id} failed: the query returned {value!r}, "
                   f"expected {step.expect!r}")
        _record_failure(db, plan, step, message)
        raise ApplyError(message, plan.id, step.id)
    with db.transaction():
        history.record(db, plan, step, "applied")
    return 0


def _same(value: Any, expect: Any) -> bool:
    numbers = (int, float, Decimal)
    if isinstance(value, numbers) and isinstance(expect, numbers) and not isinstance(expect, bool):
        return Decimal(str(value)) == Decimal(str(expect))
    if isinstance(expect, bool) and isinstance(value, int):
        return bool(value) == expect
    return value == expect or (value is not None and str(value) == str(expect))
