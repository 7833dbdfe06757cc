"""Benchmark a dbbasic batched backfill on PostgreSQL against one plain UPDATE, while an application writes.

Why: a batched step commits each batch with its checkpoint, so a backfill can stop and resume and holds its
row locks for about `target_ms` at a time. That must not cost too much: the backfill should run at least
half as fast as one `UPDATE items SET n = n + 1` (the fastest any tool can go), stay as fast per row as the
table grows, and leave an application's writes almost as fast as on an idle table (p99 at most 2x idle).
Run: python bench/backfill.py [--rows 100000,1000000] [--target-ms 200]   (add 10000000 for 10M rows)
Exit status 0: this is a report; each goal is printed as "goal met" or "goal missed".
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import platform
import random
import sys
import tempfile
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import psycopg
from psycopg.rows import TupleRow

from dbbasic import api
from dbbasic.runner.events import Event

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from pg_server import PostgresServer  # noqa: E402  (tests/ is not a package)

RATE_GOAL = 0.5  # dbbasic rows/s at least half of the plain UPDATE's
P99_GOAL = 2.0  # writer p99 during the backfill at most twice its idle p99
FLAT_GOAL = 0.8  # rows/s at the largest size at least 0.8x the smallest size's
IDLE_SECONDS = 10.0  # how long the writer runs alone
WRITER_LOCK_TIMEOUT = "2s"  # a writer blocked longer fails instead of hanging
WRITER_MAX_SECONDS = 3600.0  # no writer runs longer than this, whatever it waits for
WRITER_MAX_OPS = 2_000_000  # nor records more latencies than this (16 MB)
SEED = 20261122

T = TypeVar("T")

SPECS = {
    "dbbasic.yaml": "project:\n  dialects: [postgres]\n",
    "data.yaml": """data:
  items:
    fields:
      id: id
      n: {type: int, required: true, default: 0}
      payload: text
""",
    "migrations/backfill.yaml": """migration:
  task: "Increment n on every item, batch by batch"
  steps:
    - batched: "UPDATE items SET n = n + 1 WHERE id > %(after)s AND id <= %(upto)s"
      table: items
      key: id
      target_ms: {target_ms}
  lint:
    ignore:
      missing-down: "bench"
""",
}


def write_project(root: Path, target_ms: int) -> None:
    """The dbbasic project of the bench: the `items` table and the migration that backfills it."""
    for name, text in SPECS.items():
        path = root / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{target_ms}", str(target_ms)))


@dataclass
class WriterStats:
    latencies_ms: array[float]
    """Every attempt's latency, failed ones included: a timed-out write took that long for the application."""
    seconds: float = 0.0
    """How long the writer ran."""
    failures: Counter[str] = field(default_factory=Counter)
    """Failed attempts by SQLSTATE (55P03: lock_timeout) or exception class."""

    @property
    def ops(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else math.nan

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile: a value that was observed, the maximum when p * n / 100 rounds to n."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1] if ordered else math.nan


class Writer:
    """An application: single-row updates of random ids on its own autocommit connection, in a thread.

    Paced at `rate` updates per second (0: as fast as it can), without catching up after a slow write;
    bounded by `stop()`, WRITER_MAX_SECONDS and WRITER_MAX_OPS."""

    def __init__(self, url: str, rows: int, rate: float) -> None:
        self.url, self.rows, self.interval = url, rows, 1 / rate if rate > 0 else 0.0
        self.stats = WriterStats(array("d"))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._conn = self._connect()
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)

    def _connect(self) -> psycopg.Connection[TupleRow]:
        conn = psycopg.connect(self.url, autocommit=True)
        conn.execute(f"SET lock_timeout = '{WRITER_LOCK_TIMEOUT}'")
        return conn

    def start(self) -> Writer:
        self._thread.start()
        return self

    def stop(self) -> WriterStats:
        self._stop.set()
        self._thread.join()
        self._conn.close()
        if self._error is not None:
            raise RuntimeError("the writer thread died") from self._error
        return self.stats

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # reported by stop()
            self._error = exc

    def _loop(self) -> None:
        rng = random.Random(SEED)
        started = next_at = time.perf_counter()
        deadline = started + WRITER_MAX_SECONDS
        while not self._stop.is_set() and self.stats.ops < WRITER_MAX_OPS and time.perf_counter() < deadline:
            if self._stop.wait(max(0.0, next_at - time.perf_counter())):
                break
            key, payload = rng.randint(1, self.rows), f"{rng.getrandbits(128):032x}"
            began = time.perf_counter()
            try:
                if self._conn.broken:
                    self._conn = self._connect()
                self._conn.execute("UPDATE items SET payload = %s WHERE id = %s", (payload, key))
            except Exception as exc:
                self.stats.failures[getattr(exc, "sqlstate", None) or type(exc).__name__] += 1
            now = time.perf_counter()
            self.stats.latencies_ms.append((now - began) * 1000)
            next_at = max(next_at + self.interval, now)
            self.stats.seconds = now - started


def while_writing(url: str, rows: int, rate: float, action: Callable[[], T]) -> tuple[float, T, WriterStats]:
    """Seconds `action` takes while the writer runs, its result, and the writer's stats over that time."""
    writer = Writer(url, rows, rate).start()
    try:
        began = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - began
    finally:
        stats = writer.stop()
    return seconds, result, stats


def idle_writer(url: str, rows: int, rate: float) -> WriterStats:
    writer = Writer(url, rows, rate).start()
    time.sleep(IDLE_SECONDS)
    return writer.stop()


def prepare(server: PostgresServer, root: Path, rows: int) -> str:
    """A new database with `items` created by dbbasic's schema plan and filled with `rows` rows, vacuumed."""
    url = server.create_database()
    api.apply(root, url, ["schema"], require_approval=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"INSERT INTO items (payload) SELECT md5(g::text) FROM generate_series(1, {int(rows)}) AS g")
        conn.execute("VACUUM ANALYZE items")
        found = conn.execute("SELECT count(*), min(id), max(id) FROM items").fetchone()
        if found != (rows, 1, rows):
            raise RuntimeError(f"items holds (count, min id, max id) = {found}, expected ({rows}, 1, {rows})")
        conn.execute("CHECKPOINT")  # the fill's dirty pages are not written during the measure
    return url


def drop(server: PostgresServer, url: str) -> None:
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def expect_incremented_once(url: str, rows: int, where: str) -> None:
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT count(*) FILTER (WHERE n = 1), count(*) FROM items").fetchone()
    if found != (rows, rows):
        raise RuntimeError(f"after {where}, (rows with n = 1, rows) = {found}, expected ({rows}, {rows})")


@dataclass
class Backfill:
    seconds: float
    """The whole api.apply: validate, compile, compare with generated/, lock, then the batched step."""
    step_seconds: float
    """The batched step alone, as the runner reports it."""
    batches: list[int]
    """Rows per batch, in order."""
    writer: WriterStats


def run_backfill(root: Path, url: str, rows: int, rate: float) -> Backfill:
    batch_rows: list[int] = []
    done = 0

    def listen(event: Event) -> None:
        nonlocal done
        if event.event == "batch":
            batch_rows.append(event.rows - done)
            done = event.rows

    seconds, result, writer = while_writing(url, rows, rate,
                                            lambda: api.apply(root, url, require_approval=False, emit=listen))
    steps = [s for s in result.steps if s.plan_id == "migrations/backfill"]
    if [s.status for s in steps] != ["applied"] or steps[0].rows != rows:
        raise RuntimeError(f"the backfill ran {[(s.step_id, s.status, s.rows) for s in result.steps]}")
    expect_incremented_once(url, rows, "the dbbasic backfill")
    return Backfill(seconds, steps[0].seconds, batch_rows, writer)


def run_plain(url: str, rows: int, rate: float) -> tuple[float, WriterStats]:
    def update() -> int:
        with psycopg.connect(url) as conn:  # one transaction, committed on leaving the block
            return conn.execute("UPDATE items SET n = n + 1").rowcount

    seconds, touched, writer = while_writing(url, rows, rate, update)
    if touched != rows:
        raise RuntimeError(f"the plain UPDATE touched {touched} rows, expected {rows}")
    expect_incremented_once(url, rows, "the plain UPDATE")
    return seconds, writer


@dataclass
class SizeResult:
    rows: int
    backfill: Backfill
    plain_seconds: float
    idle: WriterStats
    plain_writer: WriterStats

    @property
    def backfill_rate(self) -> float:
        return self.rows / self.backfill.seconds

    @property
    def plain_rate(self) -> float:
        return self.rows / self.plain_seconds


def bench_size(server: PostgresServer, root: Path, rows: int, rate: float) -> SizeResult:
    url = prepare(server, root, rows)
    try:
        idle = idle_writer(url, rows, rate)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")  # the idle writer's dirty pages are not written during the measure
        backfill = run_backfill(root, url, rows, rate)
    finally:
        drop(server, url)
    url = prepare(server, root, rows)  # the plain UPDATE runs on a fresh copy of the same data
    try:
        plain_seconds, plain_writer = run_plain(url, rows, rate)
    finally:
        drop(server, url)
    return SizeResult(rows, backfill, plain_seconds, idle, plain_writer)


def goal(met: bool) -> str:
    return "goal met" if met else "goal missed"


def failures(stats: WriterStats) -> str:
    return ", ".join(f"{count} x {kind}" for kind, count in stats.failures.most_common()) or "-"


def report(result: SizeResult, target_ms: int) -> None:
    backfill, batches = result.backfill, result.backfill.batches
    ratio = result.backfill_rate / result.plain_rate
    p99_ratio = backfill.writer.percentile(99) / result.idle.percentile(99)
    print(f"\n== {result.rows:,} rows ==")
    print(f"{'measure':<34} {'seconds':>8} {'rows/s':>10}  note")
    print(f"{'dbbasic backfill (api.apply)':<34} {backfill.seconds:>8.2f} {result.backfill_rate:>10,.0f}  "
          f"batched step {backfill.step_seconds:.2f} s ({result.rows / backfill.step_seconds:,.0f} rows/s); "
          f"{len(batches)} batches of {target_ms} ms target, median {percentile(batches, 50):,} rows, "
          f"largest {max(batches):,}")
    print(f"{'plain UPDATE (one transaction)':<34} {result.plain_seconds:>8.2f} {result.plain_rate:>10,.0f}  "
          "baseline")
    print(f"ratio dbbasic/plain rows/s: {ratio:.2f} (goal >= {RATE_GOAL}): {goal(ratio >= RATE_GOAL)}")
    print(f"{'writer (UPDATE 1 row by id)':<34} {'ops':>8} {'ops/s':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  "
          "failures")
    for name, stats in [("idle (alone)", result.idle), ("during dbbasic backfill", backfill.writer),
                        ("during plain UPDATE", result.plain_writer)]:
        print(f"{name:<34} {stats.ops:>8} {stats.rate:>6.0f} {stats.percentile(50):>8.2f} {stats.percentile(99):>8.2f} "
              f"{stats.percentile(100):>8.1f}  {sum(stats.failures.values())} ({failures(stats)})")
    print(f"writer p99 during dbbasic / idle: {p99_ratio:.1f}x (goal <= {P99_GOAL:g}x): {goal(p99_ratio <= P99_GOAL)}")


def report_sizes(results: list[SizeResult]) -> None:
    def line(name: str, rate: Callable[[SizeResult], float]) -> str:
        rates = "; ".join(f"{r.rows:,}: {rate(r):,.0f}" for r in results)
        return f"{name} rows/s by table size: {rates}"

    print()
    print(line("dbbasic backfill", lambda r: r.backfill_rate))
    print(line("plain UPDATE", lambda r: r.plain_rate))
    if len(results) > 1:
        smallest, largest = min(results, key=lambda r: r.rows), max(results, key=lambda r: r.rows)
        flat = largest.backfill_rate / smallest.backfill_rate
        print(f"dbbasic rows/s at {largest.rows:,} rows / at {smallest.rows:,} rows: {flat:.2f}x "
              f"(stays flat, goal >= {FLAT_GOAL}x): {goal(flat >= FLAT_GOAL)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", default="100000,1000000", help="table sizes, comma-separated (add 10000000)")
    parser.add_argument("--target-ms", type=int, default=200, help="the batched step's target_ms")
    parser.add_argument("--writer-rate", type=float, default=500.0,
                        help="the writer's updates per second (0: as fast as it can)")
    args = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in args.rows.split(",") if size.strip()]
    server = PostgresServer()
    try:
        with psycopg.connect(server.url()) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        pg_version = str(row[0]) if row else "?"
        print(f"dbbasic backfill bench: rows {', '.join(f'{s:,}' for s in sizes)}; target_ms {args.target_ms}; "
              f"writer {args.writer_rate:g} updates/s, lock_timeout {WRITER_LOCK_TIMEOUT}, idle {IDLE_SECONDS:g} s")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"psycopg {importlib.metadata.version('psycopg')}, PostgreSQL {pg_version}")
        results = []
        with tempfile.TemporaryDirectory(prefix="dbbasic-bench-") as tmp:
            root = Path(tmp)
            write_project(root, args.target_ms)
            api.plan(root)
            for rows in sizes:
                results.append(bench_size(server, root, rows, args.writer_rate))
                report(results[-1], args.target_ms)
                sys.stdout.flush()
        report_sizes(results)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
