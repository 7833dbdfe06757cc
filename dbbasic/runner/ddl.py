"""Run ddl and online_ddl steps.

A ddl step runs in one transaction under a lock timeout and a statement timeout; when its lock is not
granted in time it is rolled back and tried again after a growing pause, so a busy table makes the
migration wait instead of queueing every application query behind it. An online_ddl step runs outside
a transaction, statement by statement with its progress recorded after each, and rebuilds an index
that an interrupted `CREATE INDEX CONCURRENTLY` left INVALID.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from dbbasic.plan.model import DdlStep, OnlineDdlStep, Plan
from dbbasic.runner import history
from dbbasic.runner.connect import Database

T = TypeVar("T")


@dataclass(frozen=True)
class Timeouts:
    lock_ms: int = 5000
    statement_ms: int = 300_000
    retries: int = 5
    """How many times a step whose lock was not granted is tried again."""
    backoff_s: float = 1.0
    """The first pause; each next one doubles, with jitter."""


DEFAULT_TIMEOUTS = Timeouts()


def with_lock_retries(db: Database, timeouts: Timeouts, attempt: Callable[[], T]) -> T:
    """Run `attempt` (one whole transaction), again after a pause while the lock is not granted."""
    for n in range(timeouts.retries + 1):
        try:
            return attempt()
        except Exception as exc:
            if n == timeouts.retries or not db.dialect.is_lock_timeout(exc):
                raise
            time.sleep(timeouts.backoff_s * 2**n * random.uniform(0.8, 1.2))
    raise AssertionError("unreachable")


def run_ddl(db: Database, plan: Plan, step: DdlStep, timeouts: Timeouts) -> int:
    def attempt() -> int:
        with db.transaction():
            for setting in db.dialect.step_settings(timeouts.lock_ms, timeouts.statement_ms):
                db.execute(setting)
            rows = sum(db.execute(statement) for statement in step.up)
            broken = db.query(db.dialect.REBUILD_CHECK) if step.rebuild and db.dialect.REBUILD_CHECK else []
            if broken:
                raise RebuildBrokeReferences(f"the rebuild leaves {len(broken)} rows whose foreign key points at "
                                             f"nothing (first: table {broken[0][0]}, rowid {broken[0][1]})")
            history.record(db, plan, step, "applied", rows=rows)
            return rows

    if not step.rebuild:
        return with_lock_retries(db, timeouts, attempt)
    for statement in db.dialect.REBUILD_BEFORE:
        db.execute(statement)
    try:
        return with_lock_retries(db, timeouts, attempt)
    finally:
        for statement in db.dialect.REBUILD_AFTER:
            db.execute(statement)


class RebuildBrokeReferences(Exception):
    """A table rebuild would leave dangling foreign keys; it was rolled back."""


def run_online_ddl(db: Database, plan: Plan, step: OnlineDdlStep, done: int, timeouts: Timeouts) -> int:
    """Run the statements after the first `done` (those already ran before an interruption), each under
    the lock timeout (no statement timeout: a concurrent index build on a big table is long by nature)."""
    settings = db.dialect.session_lock_timeout(timeouts.lock_ms)
    try:
        for n, statement in enumerate(step.up[done:], start=done + 1):
            with_lock_retries(db, timeouts, functools.partial(_online_statement, db, statement, settings))
            with db.transaction():
                status = "applied" if n == len(step.up) else "running"
                history.record(db, plan, step, status, checkpoint=str(n))
    finally:
        if settings:
            db.execute(db.dialect.RESET_LOCK_TIMEOUT)
    return 0


def _online_statement(db: Database, statement: str, settings: list[str]) -> None:
    for setting in settings:
        db.execute(setting)
    index = concurrent_index_name(db, statement)
    # An interrupted or lock-timed-out build leaves the index INVALID: drop it, then build it again.
    if index and db.dialect.INVALID_INDEX and db.query(db.dialect.INVALID_INDEX, {"name": index}):
        db.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {db.dialect.quote(index)}")
    # An index built before an interruption (after the build, before its history row) is not built twice.
    if not (index and db.query(db.dialect.INDEX_EXISTS, {"name": index})):
        db.execute(statement)


def concurrent_index_name(db: Database, statement: str) -> str | None:
    """The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON ...` builds."""
    tokens = db.dialect.tokens(statement)
    words = [text.upper() if kind != "IDENTIFIER" else text for kind, text in tokens]
    if words[:1] != ["CREATE"] or "CONCURRENTLY" not in words or "ON" not in words:
        return None
    position = words.index("ON") - 1
    name = tokens[position][1]
    return None if words[position] in ("CONCURRENTLY", "EXISTS") else name
