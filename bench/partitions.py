"""What converting a big table to partitions online costs: the example's todos, N rows, into 16 hash partitions.

Why: `partitioning:` (docs/scaling.md) converts a live table while the application writes on; what matters
is how long the conversion takes, what the application's writes feel meanwhile, and what the partitions buy
the queries. In one run, on one PostgreSQL server on loopback:
- the example project applied up to its scaling plans, then N todos spread over its users (not timed);
- queries before: by user (`user_id = ?`, the partition key) and without it (by `created_at`), median of 15;
- the writer alone for WRITER_SECONDS: a process inserting a todo, updating one (a tenth of them to another
  user, so to another partition) and deleting one, in autocommit, back to back: its p50/p99/max latency (the
  baseline);
- the writer again while `apply scaling/partitioning` runs the online conversion up to its contract step:
  the conversion's duration and rows/s, the swap's lock, the writer's latencies and failed writes;
- the floor of the copy: the same rows copied by one `INSERT INTO <partitioned copy> SELECT * FROM todos`
  into a table with the same partitions and indexes (offline: no trigger, no batches, no row locks; writes
  would have to stop);
- queries after, on the partitioned table.
Run: python bench/partitions.py [--rows 5000000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from dbbasic import api
from dbbasic.runner.apply import ManualStepPending
from dbbasic.runner.events import Event

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from pg_server import PostgresServer  # noqa: E402  (tests/ is not a package)

WRITER_SECONDS = 10.0
QUERY_RUNS = 15
PLAN = "scaling/partitioning"


def writer(url: str, users: list[int], ids: list[str], stop: Any, out: Any) -> None:
    """The application, until `stop`: per round an insert, an update, a delete; each timed."""
    rng = random.Random(1)
    updated, deleted = ids[: len(ids) // 2], ids[len(ids) // 2:]
    latencies: list[float] = []
    failures: list[str] = []
    with psycopg.connect(url, autocommit=True) as db:
        while not stop.is_set():
            for sql, params in (
                    ("INSERT INTO todos (user_id, title) VALUES (%s, 'written meanwhile')", (rng.choice(users),)),
                    ("UPDATE todos SET title = title || '!', user_id = CASE WHEN random() < 0.1 THEN %s ELSE user_id "
                     "END WHERE id = %s", (rng.choice(users), rng.choice(updated))),
                    ("DELETE FROM todos WHERE id = %s", (deleted.pop() if deleted else None,))):
                began = time.perf_counter()
                try:
                    db.execute(sql, params)
                except psycopg.Error as exc:
                    failures.append(str(exc).splitlines()[0])
                latencies.append(time.perf_counter() - began)
    out.put({"latencies": latencies, "failures": failures})


def with_writer(url: str, users: list[int], ids: list[str], work: Any) -> tuple[Any, dict[str, Any]]:
    """Run `work()` while the writer process writes; return its result and the writer's figures."""
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    process = context.Process(target=writer, args=(url, users, ids, stop, out))
    process.start()
    time.sleep(0.5)  # the writer connected and writing
    try:
        result = work()
    finally:
        stop.set()
        figures = out.get(timeout=60)
        process.join()
    latencies = sorted(figures["latencies"])
    return result, {"writes": len(latencies), "failures": figures["failures"],
                    "p50_ms": 1000 * latencies[len(latencies) // 2],
                    "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)], "max_ms": 1000 * latencies[-1]}


def median_ms(url: str, sql: str, params: tuple[Any, ...]) -> float:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(sql, params)  # warm
        times = []
        for _ in range(QUERY_RUNS):
            began = time.perf_counter()
            db.execute(sql, params).fetchall()
            times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


def queries(url: str, user: int) -> dict[str, float]:
    return {"by user (the partition key)": median_ms(
                url, "SELECT count(*) FROM todos WHERE user_id = %s AND status <> 'done'", (user,)),
            "without the key (by created_at)": median_ms(
                url, "SELECT count(*) FROM todos WHERE created_at > now() - interval '1 minute'", ())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    rows = parser.parse_args().rows
    server = PostgresServer()
    work = Path(tempfile.mkdtemp(prefix="dbbasic-partitions-"))
    try:
        url = server.create_database()
        project = work / "project"
        shutil.copytree(REPO / "specs", project / "specs")
        shutil.copytree(REPO / "generated", project / "generated")
        plans = {p.id for p in api.plan(project).plans}
        api.apply(project, url, sorted(p for p in plans if not p.startswith("scaling/")), require_approval=False)
        with psycopg.connect(url, autocommit=True) as db:
            users = [r[0] for r in db.execute("SELECT id FROM users ORDER BY id")]
            for start in range(0, rows, 1_000_000):
                db.execute("INSERT INTO todos (user_id, status, title, created_at) SELECT (%s::bigint[])"
                           "[1 + g %% %s], (ARRAY['todo', 'in_progress', 'done'])[1 + g %% 3], 'todo ' || g, "
                           "now() - g * interval '1 second' FROM generate_series(%s, %s) g",
                           (users, len(users), start + 1, min(start + 1_000_000, rows)))
            db.execute("VACUUM ANALYZE todos")
            ids = [str(r[0]) for r in db.execute("SELECT id FROM todos ORDER BY random() LIMIT 200000")]
            size = db.execute("SELECT pg_size_pretty(pg_total_relation_size('todos'))").fetchone()
        print(f"todos: {rows:,} rows ({size[0] if size else '?'}), {len(users)} users; 16 hash partitions by user_id")

        before = queries(url, users[0])
        random.Random(2).shuffle(ids)
        half = len(ids) // 2  # each phase deletes rows of its own
        _, alone = with_writer(url, users, ids[:half], lambda: time.sleep(WRITER_SECONDS))

        steps: dict[str, float] = {}

        def timed(event: Event) -> None:
            if event.event == "step_finished" and event.step_id:
                steps[event.step_id] = event.elapsed

        def convert() -> float:
            began = time.perf_counter()
            with contextlib.suppress(ManualStepPending):  # the contract step waits for a person: converted
                api.apply(project, url, [PLAN], require_approval=False, emit=timed)
            return time.perf_counter() - began

        seconds, during = with_writer(url, users, ids[half:], convert)
        with psycopg.connect(url, autocommit=True) as db:
            same = db.execute("SELECT count(*) FROM ((TABLE todos EXCEPT ALL TABLE todos__old) UNION ALL "
                              "(TABLE todos__old EXCEPT ALL TABLE todos)) d").fetchone()
            db.execute("VACUUM ANALYZE todos")
            # The floor: the same rows into a partitioned copy in one statement, nothing else running.
            db.execute("CREATE TABLE floor (LIKE todos INCLUDING DEFAULTS) PARTITION BY HASH (user_id)")
            for i in range(16):
                db.execute(f"CREATE TABLE floor_p{i:02d} PARTITION OF floor "
                           f"FOR VALUES WITH (MODULUS 16, REMAINDER {i})")
            db.execute("ALTER TABLE floor ADD PRIMARY KEY (id, user_id)")
            for index in ("(user_id, status)", "(project_id)", "(id) WHERE deleted_at IS NULL"):  # as todos has
                db.execute(f"CREATE INDEX ON floor {index}")
            began = time.perf_counter()
            db.execute("INSERT INTO floor SELECT * FROM todos")
            floor_seconds = time.perf_counter() - began
        after = queries(url, users[0])
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nconversion, writer running: {seconds:.1f} s in all, {rows / seconds:,.0f} rows/s (copy "
          f"{steps.get('3-copy', 0):.1f} s, check {steps.get('4-same-rows', 0):.1f} s, swap under its lock "
          f"{1000 * steps.get('5-swap', 0):.0f} ms); old and new differ in {same[0] if same else '?'} rows")
    print(f"floor, one INSERT ... SELECT into a partitioned copy, writes stopped: {floor_seconds:.1f} s, "
          f"{rows / floor_seconds:,.0f} rows/s; the online conversion takes {seconds / floor_seconds:.1f}x its "
          "time\n")
    print(f"{'writer':<34}{'writes':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'failed':>8}")
    for name, figures in (("alone (baseline)", alone), ("during the conversion", during)):
        print(f"{name:<34}{figures['writes']:>8,}{figures['p50_ms']:>9.2f}{figures['p99_ms']:>9.2f}"
              f"{figures['max_ms']:>9.1f}{len(figures['failures']):>8}")
    print(f"writer p99 during / alone: {during['p99_ms'] / alone['p99_ms']:.1f}x")
    print(f"\n{'query, median of ' + str(QUERY_RUNS):<34}{'before ms':>11}{'after ms':>10}{'ratio':>8}")
    for name in before:
        print(f"{name:<34}{before[name]:>11.2f}{after[name]:>10.2f}{before[name] / after[name]:>7.1f}x")
    print(json.dumps({"rows": rows, "conversion_s": seconds, "steps_s": steps, "floor_s": floor_seconds, "alone": alone,
                      "during": {k: v for k, v in during.items() if k != "failures"},
                      "failures": during["failures"][:3], "before": before, "after": after}, default=str))


if __name__ == "__main__":
    main()
