"""What a synced move costs the application: how long its writes stop, against an offline move's downtime.

Why: the point of `cutover: {mode: sync}` is that the application keeps writing while the move copies and
verifies, and stops only for the cutover's freeze (goal: under one second). In one run, on bench/move.py's
generated database (WAL mode, as an application writing concurrently would set it), each move in a new
process while a writer process commits a small transaction every 5 ms (insert an order, update a user,
delete an item), and switches to PostgreSQL when the source says it moved:
- synced move: `apply` up to the switch; the figures: the freeze as the runner held it (`freeze_ms` in the
  cutover's checkpoint) and as the writer saw it (its longest wait for a write to go through anywhere,
  including the time to notice the move and write to PostgreSQL instead), the writer's p50/p99 commit time
  and failed writes during the move, and that every write it committed is in PostgreSQL;
- the baseline, an offline move (`cutover: {mode: offline}`, the default): the application must stop writing
  for the whole of it, so its downtime is the move's duration.
Run: python bench/cutover.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from dbbasic import api
from dbbasic.runner.apply import ManualStepPending

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))
from move import CASTS, make_source  # noqa: E402
from pg_server import PostgresServer  # noqa: E402  (tests/ is not a package)

PLAN = "migrations/move"
WRITE_EVERY = 0.005


def make_project(root: Path, source: Path, mode: str) -> None:
    (root / "specs/migrations").mkdir(parents=True)
    (root / "specs/dbbasic.yaml").write_text(
        "project:\n  dialect: postgres\n  targets:\n"
        f"    dev: sqlite:///{source}\n    prod: {{url: \"${{MOVE_BENCH_URL}}\", dialect: postgres}}\n")
    (root / "specs/migrations/move.yaml").write_text(
        f"migration:\n  task: Move\n  move: {{from: dev, to: prod}}\n  verify: {{sample: 100}}\n"
        f"  cutover: {{mode: {mode}}}\n  cast: {CASTS}\n")
    api.plan(root)


def writer(source: Path, url: str, stop: Any, out: Any) -> None:
    """The application: a write every WRITE_EVERY s, to SQLite until it says it moved, then to PostgreSQL."""
    lite = sqlite3.connect(source, isolation_level=None, timeout=30)
    pg: psycopg.Connection[Any] | None = None
    commits: list[tuple[float, float]] = []  # (when it began, how long it took)
    failures, n = 0, 0
    while not stop.is_set():
        n += 1
        began = time.time()
        statements = [("INSERT INTO orders (id, user_id, total, placed_at) VALUES (%s, 1, 1.5, "
                       "'2026-11-22T00:00:00Z')", (10_000_000 + n,)),
                      ("UPDATE users SET name = %s WHERE id = %s", (f"writer {n}", 1 + n % 1000)),
                      ("DELETE FROM items WHERE id = %s", (n,))]
        try:
            if pg is None:
                lite.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    lite.execute(sql.replace("%s", "?"), params)
                lite.execute("COMMIT")
            else:
                with pg.transaction():
                    for sql, params in statements:
                        pg.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            lite.execute("ROLLBACK")
            if "moved to" not in str(exc):
                raise
            pg = psycopg.connect(url, autocommit=True)  # the switch, as the application would make it
            n -= 1  # not written: written again, to PostgreSQL
            continue
        except sqlite3.OperationalError:
            with contextlib.suppress(sqlite3.Error):
                lite.execute("ROLLBACK")
            failures += 1
            continue
        commits.append((began, time.time() - began))
        time.sleep(WRITE_EVERY)
    out.put({"commits": commits, "failures": failures, "on_postgres": pg is not None})


def run_move(root: Path, url: str) -> None:
    os.environ["MOVE_BENCH_URL"] = url
    with contextlib.suppress(ManualStepPending):
        api.apply(root, "prod", require_approval=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    server = PostgresServer()
    tmp = Path(tempfile.mkdtemp(prefix="dbbasic-cutover-bench-"))
    context = multiprocessing.get_context("spawn")
    try:
        pristine = tmp / "pristine.sqlite"
        counts = make_source(pristine, args.rows)
        with sqlite3.connect(pristine) as db:
            db.execute("PRAGMA journal_mode = WAL")
        print(f"source: {sum(counts.values()):,} rows, WAL mode; a writer commits every {WRITE_EVERY * 1000:.0f} ms")

        # The baseline: an offline move, during which the application may not write at all.
        source = tmp / "offline.sqlite"
        shutil.copy(pristine, source)
        make_project(tmp / "offline", source, "offline")
        began = time.perf_counter()
        mover = context.Process(target=run_move, args=(tmp / "offline", server.create_database()))
        mover.start()
        mover.join()
        offline = time.perf_counter() - began

        source = tmp / "synced.sqlite"
        shutil.copy(pristine, source)
        make_project(tmp / "synced", source, "sync")
        url = server.create_database()
        stop, out = context.Event(), context.Queue()
        app = context.Process(target=writer, args=(source, url, stop, out))
        app.start()
        time.sleep(0.5)
        began = time.perf_counter()
        mover = context.Process(target=run_move, args=(tmp / "synced", url))
        mover.start()
        mover.join()
        synced = time.perf_counter() - began
        time.sleep(0.5)  # the writer notices the fence and goes on on PostgreSQL
        stop.set()
        result = out.get()
        app.join()
        if mover.exitcode != 0 or not result["on_postgres"]:
            raise RuntimeError("the synced move did not reach its switch, or the writer never saw the fence")

        with psycopg.connect(url) as conn:
            held = json.loads(conn.execute("SELECT checkpoint FROM dbbasic_history WHERE step_id LIKE "
                                           "'%-cutover'").fetchone()[0])["freeze_ms"]
            written = conn.execute("SELECT count(*) FROM orders WHERE id > 10000000").fetchone()[0]
        if written != len(result["commits"]):
            raise RuntimeError(f"the writer committed {len(result['commits'])} orders, PostgreSQL has {written}")
        commits = sorted(result["commits"])
        gaps = [b[0] - (a[0] + a[1]) for a, b in itertools.pairwise(commits)]
        longest = max(gaps) - WRITE_EVERY if gaps else 0.0
        took = sorted(t for _, t in commits)
        print(f"\n{'':<44} {'seconds':>8}")
        print(f"{'offline move (writes stopped throughout)':<44} {offline:8.1f}")
        print(f"{'synced move, writes going on':<44} {synced:8.1f}")
        print(f"{'  write freeze, runner held the lock':<44} {held / 1000:8.3f}")
        print(f"{'  write freeze, as the writer saw it':<44} {longest:8.3f}")
        p50, p99 = took[len(took) // 2] * 1000, took[int(len(took) * 0.99)] * 1000
        print(f"\nwriter: {len(commits):,} commits (all {written:,} orders in PostgreSQL), "
              f"{result['failures']} failed; commit p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(f"downtime: synced {longest:.3f} s vs offline {offline:.1f} s ({offline / max(longest, 1e-3):,.0f}x "
              f"less); goal: freeze under 1 s: {'met' if longest < 1 else 'MISSED'}")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
