"""What a dbbasic move costs: a generated SQLite database moved to PostgreSQL, against pgloader and COPY.

Why: the move's copy is the long part of a team's engine move; it should beat the tool people reach for
(pgloader, SQLite mode) and stay near the floor (COPY FROM of pre-exported CSV files), in flat memory. In one
run, each in a new process on a new database of one PostgreSQL server:
- dbbasic: `apply` of the move plan up to the switch, with the verify steps (counts, checksums, 100 sampled
  rows per table), and without them (`verify: {counts: false, checksums: false}`);
- pgloader: `LOAD DATABASE FROM sqlite://...` (it checks nothing but row counts);
- COPY: each table's rows, exported to CSV beforehand (not timed), loaded with COPY FROM STDIN.
Rows/s are source rows over wall-clock seconds; peak memory is the process's VmHWM (pgloader: its own).
Run: python bench/move.py [--rows 1000000]. The cutover's write freeze is measured by bench/cutover.py.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import shutil
import sqlite3
import subprocess
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
from measure import in_child, memory_kb  # noqa: E402
from pg_server import PostgresServer  # noqa: E402  (tests/ is not a package)

# Table -> (its share of the rows, its CREATE TABLE): integers, text, reals, ISO timestamps, 0/1, blobs.
TABLES = {
    "users": (0.2, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, active INTEGER "
                   "NOT NULL, created_at TEXT NOT NULL)"),
    "orders": (0.3, "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), "
                    "total REAL NOT NULL, placed_at TEXT NOT NULL, note TEXT)"),
    "items": (0.4, "CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id), "
                   "sku TEXT NOT NULL, quantity INTEGER NOT NULL, price REAL NOT NULL)"),
    "attachments": (0.1, "CREATE TABLE attachments (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders "
                         "(id), body BLOB)"),
}
FILL = {
    "users": "SELECT x, 'user' || x || '@example.com', 'User ' || x, x % 2, "
             "strftime('%Y-%m-%dT%H:%M:%SZ', 1600000000 + x * 37, 'unixepoch') FROM s",
    "orders": "SELECT x, 1 + x % {users}, (x % 10000) / 100.0, "
              "strftime('%Y-%m-%dT%H:%M:%SZ', 1600000000 + x * 11, 'unixepoch'), "
              "CASE WHEN x % 5 = 0 THEN 'gift wrap' END FROM s",
    "items": "SELECT x, 1 + x % {orders}, 'SKU-' || (x % 5000), 1 + x % 4, (x % 2000) / 100.0 FROM s",
    "attachments": "SELECT x, 1 + x % {orders}, randomblob(64) FROM s",
}
CASTS = '{"users.created_at": timestamptz, "orders.placed_at": timestamptz}'
PGLOADER = "LOAD DATABASE FROM sqlite://{path} INTO {url} WITH include drop, create tables, reset sequences;\n"


def make_source(path: Path, rows: int) -> dict[str, int]:
    counts = {name: max(1, int(rows * share)) for name, (share, _) in TABLES.items()}
    with sqlite3.connect(path) as db:
        for name, (_, create) in TABLES.items():
            db.execute(create)
            db.execute(f"INSERT INTO {name} WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
                       f"WHERE x < {counts[name]}) " + FILL[name].format(**counts))
    return counts


def make_project(root: Path, source: Path, verify: bool) -> None:
    (root / "specs/migrations").mkdir(parents=True)
    (root / "specs/dbbasic.yaml").write_text(
        "project:\n  dialect: postgres\n  targets:\n"
        f"    dev: sqlite:///{source}\n    prod: {{url: \"${{MOVE_BENCH_URL}}\", dialect: postgres}}\n")
    checks = "{sample: 100}" if verify else "{counts: false, checksums: false}"
    (root / "specs/migrations/move.yaml").write_text(
        f"migration:\n  task: Move\n  move: {{from: dev, to: prod}}\n  verify: {checks}\n  cast: {CASTS}\n")
    api.plan(root)


def run_child(kind: str, url: str, path: Path) -> None:
    """In a new process: one measure, printed as JSON."""
    began = time.perf_counter()
    if kind == "dbbasic":
        os.environ["MOVE_BENCH_URL"] = url
        with contextlib.suppress(ManualStepPending):  # the switch: everything before it ran
            api.apply(path, "prod", require_approval=False)
        memory = memory_kb("VmHWM")
    elif kind == "pgloader":
        command = path.parent / "move.load"
        command.write_text(PGLOADER.format(path=path, url=url))
        done = subprocess.run(["pgloader", "--no-ssl-cert-verification", str(command)], capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pgloader failed:\n{done.stdout}\n{done.stderr}")
        memory = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    else:
        with psycopg.connect(url) as conn, conn.cursor() as cursor:
            for name in TABLES:
                with (path / f"{name}.csv").open("rb") as data, \
                        cursor.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:
                    while chunk := data.read(1 << 20):
                        copy.write(chunk)
        memory = memory_kb("VmHWM")
    print(json.dumps({"seconds": time.perf_counter() - began, "peak_kb": memory}))


def export_csv(source: Path, folder: Path, url: str) -> None:
    """Each table as CSV (blobs as PostgreSQL's hex bytea text), and the same tables, empty, at `url`."""
    folder.mkdir()
    with sqlite3.connect(source) as db:
        for name in TABLES:
            with (folder / f"{name}.csv").open("w", newline="") as out:
                writer = csv.writer(out)
                for row in db.execute(f"SELECT * FROM {name}"):
                    writer.writerow(["\\x" + v.hex() if isinstance(v, bytes) else v for v in row])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text, active bigint "
                     "NOT NULL, created_at timestamptz NOT NULL)")
        conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total double precision "
                     "NOT NULL, placed_at timestamptz NOT NULL, note text)")
        conn.execute("CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint NOT NULL, sku text NOT NULL, "
                     "quantity bigint NOT NULL, price double precision NOT NULL)")
        conn.execute("CREATE TABLE attachments (id bigint PRIMARY KEY, order_id bigint, body bytea)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    server = PostgresServer()
    tmp = Path(tempfile.mkdtemp(prefix="dbbasic-move-bench-"))
    try:
        source = tmp / "source.sqlite"
        counts = make_source(source, args.rows)
        total = sum(counts.values())
        print(f"source: {total:,} rows in {len(counts)} tables ({source.stat().st_size / 1e6:.0f} MB), "
              f"{', '.join(f'{n} {c:,}' for n, c in counts.items())}")
        results: dict[str, dict[str, Any]] = {}

        def measure(name: str, kind: str, url: str, path: Path) -> None:
            results[name] = in_child(__file__, kind, url, path)
            with psycopg.connect(url) as conn:  # every row there, or the figure means nothing
                found = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
            if found != counts:
                raise RuntimeError(f"{name} left {found}, not {counts}")

        for name, verify in (("dbbasic move, with verify", True), ("dbbasic move, copy only", False)):
            root = tmp / name.split(",")[1].strip().replace(" ", "-")
            make_project(root, source, verify)
            measure(name, "dbbasic", server.create_database(), root)
        if shutil.which("pgloader"):
            measure("pgloader (SQLite mode)", "pgloader", server.create_database(), source)
        else:
            print("pgloader not installed: apt-get install pgloader")
        url = server.create_database()
        export_csv(source, tmp / "csv", url)
        measure("COPY FROM pre-exported CSV", "copy", url, tmp / "csv")
        floor = results["COPY FROM pre-exported CSV"]["seconds"]
        print(f"\n{'':<32} {'seconds':>8} {'rows/s':>10} {'vs COPY':>8} {'peak MB':>8}")
        for name, out in results.items():
            print(f"{name:<32} {out['seconds']:8.1f} {total / out['seconds']:10,.0f} "
                  f"{floor / out['seconds']:7.0%} {out['peak_kb'] / 1024:8.0f}")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main()
