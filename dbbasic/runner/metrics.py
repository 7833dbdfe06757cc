"""`dbbasic_metrics`: samples of a scaling spec's metric, and how fast it grows.

`dbbasic scale status` takes a sample each time it runs (from cron, say) and reads the growth rate off all
samples of the metric: the least-squares slope of value over time, which one odd sample moves less than
the difference of the first and the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dbbasic.runner.connect import Database
from dbbasic.runner.scaling import measure

TABLE = "dbbasic_metrics"

_CREATE = """CREATE TABLE IF NOT EXISTS dbbasic_metrics (
  metric text NOT NULL,
  taken_at text NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (metric, taken_at)
)"""

KEPT = 1000
"""Samples read back for the growth rate: the newest."""


@dataclass(frozen=True)
class Sample:
    metric: str
    taken_at: datetime
    value: float


def take(db: Database, metric: str, sql: str, now: datetime | None = None) -> Sample:
    """Measure the metric and store the sample."""
    sample = Sample(metric, now or datetime.now(UTC), measure(db, sql))
    with db.transaction():
        db.execute(_CREATE)
        db.execute("INSERT INTO dbbasic_metrics (metric, taken_at, value) VALUES (%(metric)s, %(at)s, %(value)s) "
                   "ON CONFLICT (metric, taken_at) DO UPDATE SET value = excluded.value",
                   {"metric": metric, "at": sample.taken_at.isoformat(timespec="microseconds"),
                    "value": sample.value})
    return sample


def samples(db: Database, metric: str) -> list[Sample]:
    """The newest samples of the metric, oldest first (none when nothing was ever sampled)."""
    if not db.query(db.dialect.TABLE_EXISTS, {"name": TABLE}):
        return []
    rows = db.query("SELECT taken_at, value FROM dbbasic_metrics WHERE metric = %(metric)s "
                    f"ORDER BY taken_at DESC LIMIT {KEPT}", {"metric": metric})
    return [Sample(metric, datetime.fromisoformat(at), float(value)) for at, value in reversed(rows)]


def growth_per_day(found: list[Sample]) -> float | None:
    """The least-squares slope of the samples, per day; None with fewer than two moments."""
    if len({s.taken_at for s in found}) < 2:
        return None
    start = found[0].taken_at
    days = [(s.taken_at - start).total_seconds() / 86400 for s in found]
    mean_x, mean_y = sum(days) / len(days), sum(s.value for s in found) / len(found)
    spread = sum((x - mean_x) ** 2 for x in days)
    return sum((x - mean_x) * (s.value - mean_y) for x, s in zip(days, found, strict=True)) / spread


def crossing(latest: Sample, per_day: float | None, threshold: float) -> datetime | None:
    """When the metric reaches `threshold` at the rate `per_day`; None when it does not grow towards it."""
    if per_day is None or per_day <= 0 or threshold <= latest.value:
        return None
    return latest.taken_at + timedelta(days=(threshold - latest.value) / per_day)
