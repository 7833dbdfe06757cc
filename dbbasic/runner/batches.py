"""Run a batched step: keyset pagination over a key, one transaction per batch with its checkpoint.

Each batch covers `after < key <= upto`; its statement and the history row holding `upto` commit
together, so a crash at any instant leaves either the whole batch and its checkpoint or neither: the
next apply resumes at the next batch, no row skipped, none done twice. The batch size adapts so that
each batch takes about `target_ms`, and never locks more than 1% of the table: short locks, steady
progress.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from dbbasic.errors import ApplyError
from dbbasic.plan.model import BatchedStep, Plan, TransformStep
from dbbasic.runner import history
from dbbasic.runner.connect import Database
from dbbasic.runner.ddl import Timeouts, with_lock_retries
from dbbasic.runner.events import Emit, Event

MIN_ROWS, MAX_ROWS = 10, 1_000_000  # below 10 rows a batch is all commit overhead


def next_size(size: int, seconds: float, target_ms: int) -> int:
    """The next batch's size: scaled toward the target duration, at most doubled or halved at a time."""
    factor = 2.0 if seconds <= 0 else min(2.0, max(0.5, target_ms / 1000 / seconds))
    return max(MIN_ROWS, min(MAX_ROWS, int(size * factor)))


def run_batched(db: Database, plan: Plan, step: BatchedStep, record: history.StepRecord | None,
                timeouts: Timeouts, emit: Emit) -> tuple[int, int]:
    """Run the batches not yet done; return (rows touched, rows walked) over the whole step."""
    # An UPDATE or DELETE that changes more rows than its batch covers reaches outside its bounds: some
    # rows would be changed twice. (An INSERT ... SELECT may rightly write more rows than it reads.)
    bounded = all([kind for kind, _ in db.dialect.tokens(s)[:1]] in (["UPDATE"], ["DELETE"]) for s in step.up)
    return walk_keys(db, plan, step, record, timeouts, emit,
                     lambda params: sum(db.execute(s, params) for s in step.up), bounded)


def walk_keys(db: Database, plan: Plan, step: BatchedStep | TransformStep, record: history.StepRecord | None,
              timeouts: Timeouts, emit: Emit, run_batch: Callable[[dict[str, Any]], int],
              bounded: bool) -> tuple[int, int]:
    """Call `run_batch({"after": ..., "upto": ...})` for each key range not yet done, each call in a
    transaction with the checkpoint; `run_batch` returns the rows it changed. With `bounded`, a batch that
    changed more rows than its range holds is refused. Returns (rows touched, rows walked)."""
    q = db.dialect.quote
    table, key = q(step.table), q(step.key)
    rows = record.rows_touched if record else 0
    walked = (record.rows_expected or 0) if record else 0
    after: Any = json.loads(record.checkpoint) if record and record.checkpoint else None
    if after is None:
        lowest = db.query(f"SELECT {key} FROM {table} WHERE {key} IS NOT NULL ORDER BY {key} LIMIT 1")
        after = _below(plan, step, lowest[0][0]) if lowest else None
    total = walked + (db.query(f"SELECT count(*) FROM {table} WHERE {key} > %(after)s", {"after": after})[0][0]
                      if after is not None else 0)
    last_key = f"SELECT {key} FROM {table} WHERE {key} > %(after)s ORDER BY {key} DESC LIMIT 1"  # no max(uuid)
    count = f"SELECT count(*) FROM {table} WHERE {key} > %(after)s AND {key} <= %(upto)s"
    # A batch holds the locks of every row it changed until it commits: at most 1% of the table at once,
    # so that few of the application's writes ever wait for one (bench/backfill.py measures this).
    cap = max(MIN_ROWS, total // 100)
    size, started = min(step.batch_rows, cap), time.monotonic()
    while after is not None:
        bound = f"SELECT {key} FROM {table} WHERE {key} > %(after)s ORDER BY {key} LIMIT 1 OFFSET {size - 1}"
        found = db.query(bound, {"after": after})
        full = bool(found)  # a full batch covers exactly `size` keys; the last one is counted
        found = found or db.query(last_key, {"after": after})
        if not found:
            break
        upto = _key_value(found[0][0])
        began = time.monotonic()
        touched, covered = with_lock_retries(db, timeouts, functools.partial(
            _batch, db, plan, step, timeouts, run_batch, {"after": after, "upto": upto}, count,
            size if full else None, bounded, rows, walked))
        rows, walked, after = rows + touched, walked + covered, upto
        size = min(cap, next_size(size, time.monotonic() - began, step.target_ms))
        emit(Event("batch", plan.id, step.id, step.kind, rows=rows, expected=max(total, walked),
                   elapsed=time.monotonic() - started, checkpoint=upto))
    with db.transaction():
        history.record(db, plan, step, "applied", rows=rows, expected=walked,
                       checkpoint=json.dumps(after) if after is not None else None)
    return rows, walked


def _batch(db: Database, plan: Plan, step: BatchedStep | TransformStep, timeouts: Timeouts,
           run_batch: Callable[[dict[str, Any]], int], params: dict[str, Any], count: str, known: int | None,
           bounded: bool, rows: int, walked: int) -> tuple[int, int]:
    """One batch and its checkpoint, in one transaction; (rows touched, keys covered).

    The keys a full batch covers are known from its bound query; they are counted only for the last
    batch, or when the statement touched more rows than that (a row inserted into the range meanwhile)."""
    with db.transaction():
        for setting in db.dialect.step_settings(timeouts.lock_ms, timeouts.statement_ms):
            db.execute(setting)
        touched = run_batch(params)
        covered = known if known is not None and touched <= known else int(db.query(count, params)[0][0])
        if bounded and touched > covered:
            raise BatchOutOfBounds(f"a batch changed {touched} rows but covers {covered} keys: the statement "
                                   "reaches outside `%(after)s < key <= %(upto)s`")
        history.record(db, plan, step, "running", rows=rows + touched, expected=walked + covered,
                       checkpoint=json.dumps(params["upto"]))
        return touched, covered


class BatchOutOfBounds(Exception):
    """The batch was rolled back: its statement changed rows outside the batch's key range."""


def _key_value(value: Any) -> Any:
    """A key as the checkpoint keeps it: integers as they are, anything else (text, uuid) as text."""
    return value if isinstance(value, int) or value is None else str(value)


def _below(plan: Plan, step: BatchedStep | TransformStep, lowest: Any) -> Any:
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
