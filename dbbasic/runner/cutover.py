"""Run a synced move's own steps: the change log started on the source (capture), the catch-up (sync) and
the write freeze (cutover). The replay itself is replay.py's.

The source is written only here, and only with triggers (the log's, then the fence's). Each such step is
marked `running` here before it touches the source, so that a rollback after any crash knows to undo it
there; both sides' statements can run twice (IF NOT EXISTS / IF EXISTS).
"""

from __future__ import annotations

import json
import time

from dbbasic.errors import ApplyError
from dbbasic.plan.model import CaptureStep, CutoverStep, Plan, SyncStep, VerifyStep
from dbbasic.runner import history
from dbbasic.runner.connect import Database
from dbbasic.runner.events import Emit, Event
from dbbasic.runner.replay import ReplayedTable, changed_keys, compare_rows, lag, position, replay_pass

CATCH_UP_SECONDS = 600.0
"""How long a sync step replays before it gives up on reaching its lag (writes outpace the replay)."""
PACE_SECONDS = 0.5
"""A pass this short keeps pace with the writers: what waits after it is what arrived while it ran, which the
freeze replays in about as long. A busy application never lets the lag reach 0; this ends the catch-up."""


def run_capture(db: Database, source: Database, plan: Plan, step: CaptureStep) -> int:
    """Create the change log and its triggers on the source."""
    with db.transaction():
        history.record(db, plan, step, "running")
    with source.transaction():
        for statement in step.source_up:
            source.execute(statement)
    with db.transaction():
        history.record(db, plan, step, "applied")
    return 0


def run_sync(db: Database, source: Database, plan: Plan, step: SyncStep, emit: Emit) -> int:
    """Replay passes until at most `max_lag_rows` changes wait, or a pass keeps pace with the writers (took
    under PACE_SECONDS); the changes replayed."""
    tables = [ReplayedTable.from_data(t) for t in step.tables]
    started, replayed = time.monotonic(), 0
    while True:
        began = time.monotonic()
        with source.snapshot():
            done = replay_pass(db, source, plan.id, step.log, tables)
        took = time.monotonic() - began
        replayed += done.changes
        waiting = lag(source, step.log, done.upto)
        emit(Event("batch", plan.id, step.id, step.kind, rows=replayed, expected=replayed + waiting,
                   elapsed=time.monotonic() - started, checkpoint=done.upto))
        if waiting <= step.max_lag_rows or took < PACE_SECONDS:
            with db.transaction():
                history.record(db, plan, step, "applied", rows=replayed, expected=replayed + waiting,
                               checkpoint=str(done.upto))
            return replayed
        if time.monotonic() - started > CATCH_UP_SECONDS:
            raise ApplyError(f"plan {plan.id}, step {step.id}: after {CATCH_UP_SECONDS:.0f} s of replay, "
                             f"{waiting} changes of {step.source} still wait (at most {step.max_lag_rows} may): "
                             "its writes come faster than they replay. Apply again at a quieter time, or raise "
                             "`max_lag_rows` (the write freeze then replays more)", plan.id, step.id)


def run_cutover(db: Database, source: Database, plan: Plan, step: CutoverStep, emit: Emit) -> tuple[int, float]:
    """The write freeze; (changes replayed under it, seconds the source's writers were held).

    The rows changed since each table's verify are compared twice over: up to a moment just before the freeze
    (in a snapshot, writes going on), then, under the lock, those changed since that moment; so the freeze
    lasts as long as the last moment's changes take, not the whole verify's."""
    tables = [ReplayedTable.from_data(t) for t in step.tables]
    since = _verified_at(db, plan, step)
    with db.transaction():
        history.record(db, plan, step, "running")
    with source.snapshot():
        ahead = replay_pass(db, source, plan.id, step.log, tables)
        for table in tables:
            _compare(db, source, plan, step, table, since.get(table.name, since[""]), ahead.upto)
    with source.transaction():  # the write lock: the application's writers wait for it (their busy timeout)
        frozen = time.monotonic()
        done = replay_pass(db, source, plan.id, step.log, tables, step.after)
        for table in tables:
            _count(db, source, plan, step, table)
            _compare(db, source, plan, step, table, ahead.upto, done.upto)
        for statement in step.fence:
            source.execute(statement)
    held = time.monotonic() - frozen
    emit(Event("batch", plan.id, step.id, step.kind, rows=done.changes, elapsed=held, checkpoint=done.upto,
               message=f"writes to {step.source} held {held * 1000:.0f} ms"))
    with db.transaction():
        history.record(db, plan, step, "applied", rows=done.changes,
                       checkpoint=json.dumps({"seq": done.upto, "freeze_ms": round(held * 1000)}))
    return done.changes, held


def _verified_at(db: Database, plan: Plan, step: CutoverStep) -> dict[str, int]:
    """Per table, the log position its verify compared both sides at ("" : where the replay is now, for a
    table no verify step compared)."""
    verified = {s.id: s.table for s in plan.steps if isinstance(s, VerifyStep) and s.log == step.log}
    at = {verified[r.step_id]: int(r.checkpoint) for r in history.records(db, plan.id)
          if r.step_id in verified and r.status == "applied" and r.checkpoint}
    return {"": position(db, plan.id), **at}


def _count(db: Database, source: Database, plan: Plan, step: CutoverStep, table: ReplayedTable) -> None:
    ours = source.query(f"SELECT count(*) FROM {source.dialect.quote(table.name)}")[0][0]
    theirs = db.query(f"SELECT count(*) FROM {db.dialect.quote(table.name)}")[0][0]
    if ours != theirs:
        raise ApplyError(f"plan {plan.id}, step {step.id}: {table.name} has {ours} rows in {step.source} and "
                         f"{theirs} here after the last replay; nothing was switched. A write the change log "
                         "missed? (INSERT OR REPLACE removing a row by another unique key fires no delete trigger "
                         "unless recursive_triggers is on.) Roll back, and move with `cutover: {mode: offline}`",
                         plan.id, step.id)


def _compare(db: Database, source: Database, plan: Plan, step: CutoverStep, table: ReplayedTable, after: int,
             upto: int) -> None:
    """Every row of the table changed in (after, upto] compared, both sides being at `upto`."""
    difference = compare_rows(source, db, table, changed_keys(source, step.log, table, after, upto))
    if difference is not None:
        raise ApplyError(f"plan {plan.id}, step {step.id}: the copy differs from the source after the last "
                         f"replay: {difference.describe()}; nothing was switched", plan.id, step.id)
