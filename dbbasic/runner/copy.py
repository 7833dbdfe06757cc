"""Run a copy step: rows from a source table (on another target, or this database) into a table here.

Rows are read in key order after the checkpoint, a batch at a time, and written with the checkpoint in
one transaction of the destination: a crash leaves the batch and its checkpoint or neither, so the
next apply goes on with the next row, none lost, none twice. Each batch's rows are held in memory
once (a batch, not the table); PostgreSQL destinations are written with COPY.
"""

from __future__ import annotations

import json
import time
from typing import Any

from dbbasic.plan.model import CopyStep, Plan
from dbbasic.runner import history
from dbbasic.runner.batches import next_size
from dbbasic.runner.connect import Database
from dbbasic.runner.events import Emit, Event


class CopyMismatch(Exception):
    """The destination did not take as many rows as were read."""


def run_copy(db: Database, source: Database, plan: Plan, step: CopyStep, record: history.StepRecord | None,
             emit: Emit) -> tuple[int, int]:
    """Copy the rows not yet copied; return (rows written, rows read) over the whole step."""
    sq = source.dialect.quote
    # The key first, then each column as the source selects it; the key is not written unless it is a column.
    columns = ", ".join([sq(step.key), *(step.select or (sq(c) for c in step.columns))])
    written = record.rows_touched if record else 0
    read = (record.rows_expected or 0) if record else 0
    after: Any = json.loads(record.checkpoint) if record and record.checkpoint else None
    where = "" if after is None else f" WHERE {sq(step.key)} > %(after)s"
    total = read + int(source.query(f"SELECT count(*) FROM {sq(step.table)}{where}",
                                    {"after": after} if after is not None else None)[0][0])
    size, started = step.batch_rows, time.monotonic()
    while True:
        where = "" if after is None else f" WHERE {sq(step.key)} > %(after)s"
        batch = source.query(f"SELECT {columns} FROM {sq(step.table)}{where} ORDER BY {sq(step.key)} LIMIT {size}",
                             {"after": after} if after is not None else None)
        if not batch:
            break
        began = time.monotonic()
        upto = batch[-1][0]
        upto = upto if isinstance(upto, int) else str(upto)
        with db.transaction():
            for setting in db.dialect.utc_settings() if step.select else ():  # converted values are UTC text
                db.execute(setting)
            taken = db.copy_rows(step.into, step.columns, [row[1:] for row in batch])
            if taken != len(batch):
                raise CopyMismatch(f"the destination took {taken} of the {len(batch)} rows of a batch")
            history.record(db, plan, step, "running", rows=written + taken, expected=read + len(batch),
                           checkpoint=json.dumps(upto))
        written, read, after = written + taken, read + len(batch), upto
        size = next_size(size, time.monotonic() - began, step.target_ms)
        emit(Event("batch", plan.id, step.id, step.kind, rows=written, expected=max(total, read),
                   elapsed=time.monotonic() - started, checkpoint=upto))
    with db.transaction():
        history.record(db, plan, step, "applied", rows=written, expected=read,
                       checkpoint=json.dumps(after) if after is not None else None)
    return written, read
