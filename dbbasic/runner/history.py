"""`dbbasic_history`: one row per plan step, the runner's memory on SQLite and PostgreSQL alike.

A step's row is written in the same transaction as the step (or, for a batched step, as each batch
with its checkpoint), so the database and its history can never disagree. Each row holds the digest
of the step as it ran: a step whose digest changed after it was applied is drift; a failed step
whose digest changed starts over (its checkpoint belonged to other SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dbbasic.plan.model import Plan, Step
from dbbasic.runner.connect import Database

TABLE = "dbbasic_history"

_CREATE = """CREATE TABLE IF NOT EXISTS dbbasic_history (
  plan_id text NOT NULL,
  step_id text NOT NULL,
  plan_hash text NOT NULL,
  step_hash text NOT NULL,
  status text NOT NULL,
  started_at text NOT NULL,
  finished_at text,
  rows_touched bigint NOT NULL DEFAULT 0,
  rows_expected bigint,
  checkpoint text,
  error text,
  PRIMARY KEY (plan_id, step_id)
)"""

_COLUMNS = ("plan_id, step_id, plan_hash, step_hash, status, started_at, finished_at, rows_touched, rows_expected, "
            "checkpoint, error")

_UPSERT = f"""INSERT INTO dbbasic_history ({_COLUMNS})
VALUES (%(plan_id)s, %(step_id)s, %(plan_hash)s, %(step_hash)s, %(status)s, %(now)s, %(finished)s, %(rows)s,
        %(expected)s, %(checkpoint)s, %(error)s)
ON CONFLICT (plan_id, step_id) DO UPDATE SET
  plan_hash = excluded.plan_hash, step_hash = excluded.step_hash, status = excluded.status,
  started_at = CASE WHEN dbbasic_history.status IN ('running', 'failed') THEN dbbasic_history.started_at
                    ELSE excluded.started_at END,
  finished_at = excluded.finished_at, rows_touched = excluded.rows_touched, rows_expected = excluded.rows_expected,
  checkpoint = excluded.checkpoint, error = excluded.error"""

# A failure keeps the step's checkpoint, row count and digest: the batches before it stay committed.
_FAILED = """INSERT INTO dbbasic_history
  (plan_id, step_id, plan_hash, step_hash, status, started_at, finished_at, error)
VALUES (%(plan_id)s, %(step_id)s, %(plan_hash)s, %(step_hash)s, 'failed', %(now)s, %(now)s, %(error)s)
ON CONFLICT (plan_id, step_id) DO UPDATE SET
  status = 'failed', finished_at = excluded.finished_at, error = excluded.error"""


@dataclass(frozen=True)
class StepRecord:
    plan_id: str
    step_id: str
    plan_hash: str
    step_hash: str
    status: str  # "running", "applied", "failed", "rolled_back"
    started_at: str
    finished_at: str | None
    rows_touched: int
    rows_expected: int | None
    checkpoint: str | None
    error: str | None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def exists(db: Database) -> bool:
    return bool(db.query(db.dialect.TABLE_EXISTS, {"name": TABLE}))


def ensure(db: Database) -> None:
    with db.transaction():
        db.execute(_CREATE)


def records(db: Database, plan_id: str | None = None) -> list[StepRecord]:
    """The history rows (of one plan, or all); none when the table does not exist yet."""
    if not exists(db):
        return []
    sql = f"SELECT {_COLUMNS} FROM dbbasic_history"
    if plan_id is None:
        rows = db.query(sql + " ORDER BY started_at, plan_id, step_id")
    else:
        rows = db.query(sql + " WHERE plan_id = %(plan_id)s ORDER BY started_at, step_id", {"plan_id": plan_id})
    return [StepRecord(*row) for row in rows]


def record(db: Database, plan: Plan, step: Step, status: str, *, rows: int = 0, expected: int | None = None,
           checkpoint: str | None = None, error: str | None = None) -> None:
    """Write a step's row; call inside the step's own transaction. Exactly one row must change."""
    finished = now() if status in ("applied", "failed", "rolled_back") else None
    changed = db.execute(_UPSERT, {"plan_id": plan.id, "step_id": step.id, "plan_hash": plan.hash(),
                                   "step_hash": plan.step_hash(step), "status": status, "now": now(),
                                   "finished": finished, "rows": rows, "expected": expected,
                                   "checkpoint": checkpoint, "error": error})
    if changed != 1:
        raise RuntimeError(f"dbbasic_history: expected to change 1 row for {plan.id}/{step.id}, changed {changed}")


def record_failure(db: Database, plan: Plan, step: Step, error: str) -> None:
    with db.transaction():
        db.execute(_FAILED, {"plan_id": plan.id, "step_id": step.id, "plan_hash": plan.hash(),
                             "step_hash": plan.step_hash(step), "now": now(), "error": error})
