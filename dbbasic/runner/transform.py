"""Run a transform step: a Python function of one value (dbbasic/transforms/) over a column, in key batches.

Each batch reads its rows with a row lock (so a write by the application between our read and our
write is never overwritten), computes the new values, writes the changed ones, logs every changed or
noted row, and commits with its checkpoint: a crash leaves the batch, its log rows and its checkpoint, or
none of them. A rejected value is never written over: it stays, and its log row says why.
"""

from __future__ import annotations

from typing import Any

from dbbasic import transforms
from dbbasic.errors import ApplyError
from dbbasic.plan.model import Plan, TransformStep
from dbbasic.runner import history
from dbbasic.runner.batches import walk_keys
from dbbasic.runner.connect import Database
from dbbasic.runner.ddl import Timeouts
from dbbasic.runner.events import Emit, Event


def run_transform(db: Database, plan: Plan, step: TransformStep, record: history.StepRecord | None,
                  timeouts: Timeouts, emit: Emit) -> tuple[int, int]:
    """Transform the rows not yet done; return (rows changed, rows walked) over the whole step."""
    module = transforms.TRANSFORMS.get(step.transform)
    if module is None or step.version != module.VERSION:
        have = f"version {module.VERSION}" if module else "no such transform"
        raise ApplyError(f"plan {plan.id}, step {step.id} was compiled with transform {step.transform} version "
                         f"{step.version}; this dbbasic has {have}, which may give other results", plan.id, step.id,
                         None)
    transform = module.prepare(step.parameters)
    q, in_place = db.dialect.quote, step.into == step.column
    table, key, column = q(step.table), q(step.key), q(step.column)
    read = (f"SELECT {key}, {column} FROM {table} WHERE {key} > %(after)s AND {key} <= %(upto)s ORDER BY {key}"
            + db.dialect.ROW_LOCK)
    write = f"UPDATE {table} SET {q(step.into)} = %(value)s WHERE {key} = %(key)s"

    def run_batch(params: dict[str, Any]) -> int:
        updates, log = [], []
        for row_key, value in db.query(read, params):
            outcome = transform(value)
            changed = not outcome.rejected and (outcome.value != value if in_place else outcome.value is not None)
            if changed:
                updates.append({"value": outcome.value, "key": row_key})
            # In place, the log keeps every original (rollback restores them); into a new column, the original
            # stays where it was and only notes are logged.
            if outcome.note or (changed and in_place):
                log.append((row_key, value, None if outcome.rejected else outcome.value, outcome.note or "changed",
                            outcome.reason or None))
        if updates:
            db.execute_many(write, updates)
        if log:
            db.copy_rows(step.log, TransformStep.LOG_COLUMNS, log)
        return len(updates)

    changed, walked = walk_keys(db, plan, step, record, timeouts, emit, run_batch, bounded=False)
    notes = db.query(f"SELECT note, count(*) FROM {q(step.log)} WHERE note <> 'changed' GROUP BY note ORDER BY note")
    if notes:
        counts = ", ".join(f"{n} {note}" for note, n in notes)
        emit(Event("warning", plan.id, step.id, step.kind, message=f"{step.table}.{step.column}: {counts}; each "
                   f"value and the reason are in table {step.log}"))
    return changed, walked
