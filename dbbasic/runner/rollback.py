"""Undo a plan on a database: the `down` of each step it applied, last step first.

Each step's `down` runs in one transaction with the history row that marks the step rolled back, so
an interrupted rollback goes on, on the next run, with the steps still applied. A step that changed
something and has no `down` stops the rollback before anything runs, named in the message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dbbasic.errors import ApplyError, PlanError
from dbbasic.plan.model import (
    SOURCE_STEPS,
    SQL_STEPS,
    CaptureStep,
    CutoverStep,
    OnlineDdlStep,
    Plan,
    SettingsStep,
    Step,
)
from dbbasic.runner import history, replay
from dbbasic.runner.apply import StepResult, drifted_steps, live_records
from dbbasic.runner.connect import Database, redact
from dbbasic.runner.ddl import DEFAULT_TIMEOUTS, Timeouts, with_lock_retries
from dbbasic.runner.events import Emit, Event, ignore
from dbbasic.runner.scaling import pragma_statements, set_pragma

# Steps whose effects outlive a failure: their committed batches or statements need undoing too.
_PARTIAL = ("batched", "copy", "transform", "import", "online_ddl")


def steps_to_undo(plan: Plan, records: list[history.StepRecord]) -> list[Step]:
    """The steps with a history row that still counts, last first."""
    mine = live_records(plan, records)
    return [s for s in reversed(plan.steps) if s.id in mine]


def _has_effects(step: Step, record: history.StepRecord) -> bool:
    if isinstance(step, SOURCE_STEPS):
        return True  # marked running before it touched the source: its triggers may be there
    if isinstance(step, SettingsStep):
        return record.status == "applied"
    return isinstance(step, SQL_STEPS) and (record.status == "applied" or step.kind in _PARTIAL)


def _down(step: Step) -> tuple[str, ...] | None:
    """What undoes the step: here, or (a move's capture and cutover) on its source."""
    if isinstance(step, CaptureStep):
        return step.source_down
    if isinstance(step, CutoverStep):
        return step.unfence
    if isinstance(step, SettingsStep):
        return pragma_statements(step.down) if step.down is not None else None
    return getattr(step, "down", None)


def rollback_plan(db: Database, plan: Plan, records: list[history.StepRecord], *, dry_run: bool = False,
                  timeouts: Timeouts = DEFAULT_TIMEOUTS, emit: Emit = ignore,
                  open_source: Callable[[str], Database] | None = None) -> list[StepResult]:
    """Undo the plan's applied steps, last first; `open_source` connects to a move's source by target name."""
    drifted = drifted_steps(plan, records)
    if drifted:
        raise PlanError(f"plan {plan.id}: step {drifted[0]} was applied as something other than what the plan now "
                        "says, so its `down` may not undo it", plan.id,
                        "restore the spec as it was applied (see `git log generated/`), then roll back")
    mine = live_records(plan, records)
    undo = steps_to_undo(plan, records)
    missing = [s.id for s in undo if _has_effects(s, mine[s.id]) and _down(s) is None]
    if missing:
        raise PlanError(f"plan {plan.id} cannot be rolled back: step{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)} {'have' if len(missing) > 1 else 'has'} no `down`", plan.id,
                        "add `down:` to the step in its spec, plan, approve, then roll back")
    emit(Event("plan_started", plan.id, status="rolling back"))
    results = []
    for step in undo:
        statements = list(_down(step) or ()) if _has_effects(step, mine[step.id]) else []
        if dry_run:
            results.append(StepResult(plan.id, step.id, "would undo", statements=statements))
            emit(Event("step_skipped", plan.id, step.id, step.kind, status="would undo",
                       statements=tuple(statements)))
            continue
        emit(Event("step_started", plan.id, step.id, step.kind, status="rolling back"))
        started = time.monotonic()
        try:
            if isinstance(step, SOURCE_STEPS):
                _undo_on_source(db, plan, step, statements, open_source)
            elif isinstance(step, SettingsStep):
                _undo_settings(db, plan, step)
            else:
                _undo(db, plan, step, statements, timeouts)
        except Exception as exc:
            message = redact(" ".join(str(exc).split())) or type(exc).__name__
            raise ApplyError(f"rollback of plan {plan.id}, step {step.id} failed: {message}; nothing of this step's "
                             "undo was kept, run rollback again when it is fixed", plan.id, step.id,
                             getattr(exc, "sqlstate", None)) from exc
        results.append(StepResult(plan.id, step.id, "rolled back", seconds=time.monotonic() - started))
        emit(Event("step_finished", plan.id, step.id, step.kind, status="rolled back",
                   elapsed=time.monotonic() - started))
    emit(Event("plan_finished", plan.id, status="rolled back" if not dry_run else "would undo"))
    return results


def _undo(db: Database, plan: Plan, step: Step, statements: list[str], timeouts: Timeouts) -> None:
    if isinstance(step, OnlineDdlStep):
        for statement in statements:  # like its up: outside a transaction (DROP INDEX CONCURRENTLY)
            db.execute(statement)
        statements = []

    def attempt() -> None:
        with db.transaction():
            for setting in db.dialect.step_settings(timeouts.lock_ms, timeouts.statement_ms):
                db.execute(setting)
            for statement in statements:
                db.execute(statement)
            history.record(db, plan, step, "rolled_back")

    with_lock_retries(db, timeouts, attempt)


def _undo_settings(db: Database, plan: Plan, step: SettingsStep) -> None:
    """PRAGMAs such as journal_mode cannot change inside a transaction: set one by one, then recorded."""
    for name, value in (step.down or {}).items():
        set_pragma(db, name, value)
    with db.transaction():
        history.record(db, plan, step, "rolled_back")


def _undo_on_source(db: Database, plan: Plan, step: CaptureStep | CutoverStep, statements: list[str],
                    open_source: Callable[[str], Database] | None) -> None:
    """Remove a move's triggers from its source, then mark the step rolled back here (with the log, the
    position it was replayed to)."""
    if open_source is None:
        raise RuntimeError(f"step {step.id} must be undone on target {step.source}, which is not open")
    source = open_source(step.source)
    try:
        with source.transaction():
            for statement in statements:
                source.execute(statement)
    finally:
        source.close()
    with db.transaction():
        if isinstance(step, CaptureStep):
            replay.forget(db, plan.id)
        history.record(db, plan, step, "rolled_back")
