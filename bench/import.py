"""What a dbbasic import costs: a messy CRM export into PostgreSQL, against COPY of clean rows and pgloader.

For a seeded messy export of N rows (scripts/messy_export.py --flavour crm: cp1252, semicolons, CRLF, quoted
line breaks; phones in every format, mixed and impossible dates, bad and repeated emails), on a throwaway
PostgreSQL server (tests/pg_server.py):
- dbbasic: `api.apply` of the import plan (compiled by `api.plan` before the clock starts) with the example's
  rules (specs/imports/contacts.yaml: map fields, phones to E.164, dates to ISO 8601, emails validated,
  duplicates by email), over both cores; rows/s = records read / seconds of the apply;
- COPY FROM (the limit): the rows dbbasic loaded, exported with COPY TO as CSV, loaded into a fresh identical
  table with one COPY FROM STDIN;
- pgloader (what a user would pick instead): the raw file into a table of text columns, no normalisation.
Each runs in a new process. Peak memory is VmHWM: of the dbbasic process (read by itself, as ru_maxrss is
inherited from the parent) and of each of its worker processes (sampled from /proc/<pid>/status while they
run: VmHWM is a high-water mark, so the last sample before a worker exits is its peak); of pgloader, the
RUSAGE_CHILDREN of a small wrapper process whose one child it is. dbbasic runs again at --small-rows, to show
that its memory does not grow with the file.
Goals: dbbasic at least 100,000 rows/s with all rules; its peak memory (the process and its workers together)
under 200 MB at every size, and at N rows at most 1.1x what it is at --small-rows.
Run: python bench/import.py [--rows 1000000] [--small-rows 100000] [--profile]
Exit status 0: this is a report; each goal is printed as "goal met" or "goal missed".
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import importlib.metadata
import json
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg

from dbbasic import api
from dbbasic.importers import cast as cast_module
from dbbasic.importers.pipeline import Pipeline
from dbbasic.importers.source import read_rows
from dbbasic.plan.model import ImportStep
from dbbasic.runner.imports import source_format

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from measure import in_child, memory_kb, read_proc  # noqa: E402
from pg_server import PostgresServer  # noqa: E402  (tests/ is not a package)

RATE_GOAL = 100_000  # dbbasic rows/s with all rules
MEMORY_GOAL_MB = 200  # dbbasic peak memory, the process and its workers together
FLAT_GOAL = 1.1  # peak memory at N rows at most this times the peak at --small-rows
PLAN_ID = "imports/crm"
SOURCE = "data/crm_export.csv"
COLUMNS = ("email", "full_name", "phone", "created_at", "organization")
"""The columns of users that the import fills (the key is generated), in the order COPY moves them."""
RAW_COLUMNS = ("full_name", "email", "phone", "company", "created_date", "notes")
"""pgloader's table: the export's columns as text."""
SAMPLER_SECONDS = 0.2
SPECS = {
    "dbbasic.yaml": "project:\n  dialects: [postgres]\n",
    # the example project's users (specs/data.yaml)
    "data.yaml": """data:
  users:
    fields:
      id: id
      email: {type: email, unique: true, required: true}
      full_name: text
      phone: phone
      created_at: {type: timestamp, default: now, required: true}
      organization: text
    indexes:
      - [created_at desc]
""",
    # the example's crm import (specs/imports/contacts.yaml)
    "imports/crm.yaml": f"""import:
  source:
    path: {SOURCE}
    type: "CSV export from SalesForce"
  target:
    model: users
  rules:
    - "Map 'E-mail Address' field to 'email'"
    - "Map 'Company' field to 'Organization'"
    - "Map 'Created Date' field to 'created_at'"
    - "Normalize all phone numbers to E.164 (default region US)"
    - "Parse all date formats to ISO-8601"
    - "Validate emails"
    - "Skip duplicates (match by email)"
""",
}
PGLOADER_COMMAND = """LOAD CSV
  FROM '{path}' WITH ENCODING cp1252 ({columns})
  INTO {url}
  TARGET TABLE contacts_raw
  WITH skip header = 1, fields terminated by ';', fields optionally enclosed by '"',
       fields escaped by double-quote, workers = 2, concurrency = 1;
"""


# --- the project and the data ---------------------------------------------------------------------------


def make_project(root: Path, rows: int) -> float:
    """A project with the example's users model and crm import, its source a messy export of `rows` rows,
    planned. Returns the seconds the generator took."""
    for name, text in SPECS.items():
        path = root / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / SOURCE).parent.mkdir(parents=True)
    began = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "scripts" / "messy_export.py"), "--flavour", "crm", "--rows",
                    str(rows), "--out", str(root / SOURCE)], check=True)
    seconds = time.perf_counter() - began
    api.plan(root)
    return seconds


def import_step(root: Path) -> ImportStep:
    plan = next(p for p in api.plan(root).plans if p.id == PLAN_ID)
    step = plan.steps[0]
    assert isinstance(step, ImportStep)
    return step


def new_users(server: PostgresServer, root: Path) -> str:
    """A new database with users created by dbbasic's schema plan."""
    url = server.create_database()
    api.apply(root, url, ["schema"], require_approval=False)
    return url


def checkpoint(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # earlier work's dirty pages are not written during the measure


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # a name of this file, not input
    return int(row[0]) if row else 0


def export_clean(url: str, path: Path) -> None:
    """The rows dbbasic loaded, as CSV: the clean input of the COPY measure."""
    with psycopg.connect(url) as conn, conn.cursor() as cursor, path.open("wb") as out, \
            cursor.copy(f"COPY users ({', '.join(COLUMNS)}) TO STDOUT (FORMAT csv)") as copy:
        for data in copy:
            out.write(data)


# --- the measures, each in a new process ----------------------------------------------------------------


class ChildPeaks:
    """The peak RSS of each child process of this one, sampled in a thread while they run."""

    def __init__(self) -> None:
        self.peaks: dict[str, tuple[str, int]] = {}
        """pid -> (what it is, VmHWM in kB)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLER_SECONDS):
            for pid, parent in _descendants("self"):
                command = read_proc(Path(f"/proc/{pid}/cmdline"))
                # Between fork and exec a child is a copy of this process, with its peak: not sampled then.
                # The import's workers are forked from a fork server (a child of this process), so they are
                # its children, with its command line.
                forked = "forkserver" in command
                kind = ("worker" if "--multiprocessing-fork" in command or (forked and parent != "self")
                        else "fork server" if forked
                        else "resource tracker" if "resource_tracker" in command
                        else "pgloader" if "pgloader" in command else None)
                if kind is not None:
                    self.peaks[pid] = (kind, max(memory_kb("VmHWM", pid), self.peaks.get(pid, ("", 0))[1]))


def _descendants(pid: str) -> list[tuple[str, str]]:
    """(pid, parent pid) of every process below `pid` ("self": this one), from /proc's children lists."""
    found = []
    for child in {c for children in Path(f"/proc/{pid}/task").glob("*/children") for c in read_proc(children).split()}:
        found += [(child, pid), *_descendants(child)]
    return found


def dbbasic_apply(root: Path, url: str) -> dict[str, Any]:
    result = api.apply(root, url, [PLAN_ID], require_approval=False)
    [step] = [s for s in result.steps if s.plan_id == PLAN_ID]
    if step.status != "applied":
        raise RuntimeError(f"the import ran {[(s.step_id, s.status) for s in result.steps]}")
    return {"loaded": step.rows, "read": step.expected, "step_seconds": step.seconds}


def copy_clean(url: str, path: Path) -> dict[str, Any]:
    with psycopg.connect(url) as conn, conn.cursor() as cursor, path.open("rb") as source:
        with cursor.copy(f"COPY users ({', '.join(COLUMNS)}) FROM STDIN (FORMAT csv)") as copy:
            while data := source.read(1 << 20):
                copy.write(data)
        return {"loaded": cursor.rowcount}


def run_pgloader(url: str, path: Path, command_file: Path) -> dict[str, Any]:
    """pgloader as this process's one child: RUSAGE_CHILDREN's ru_maxrss is then its peak."""
    command_file.write_text(PGLOADER_COMMAND.format(path=path, columns=", ".join(RAW_COLUMNS), url=url))
    done = subprocess.run(["pgloader", "--no-ssl-cert-verification", str(command_file)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pgloader failed:\n{done.stdout}\n{done.stderr}")
    return {"children_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            "summary": done.stdout.strip().splitlines()[-3:]}


def run_child(kind: str, url: str, path: Path) -> None:
    """In a new process: one measure, printed as JSON with its seconds and the peak RSS of the process and of
    its children."""
    start_kb = memory_kb("VmRSS")  # after the imports
    out: dict[str, Any] = {}
    with ChildPeaks() as children:
        began = time.perf_counter()
        if kind == "dbbasic":
            out = dbbasic_apply(path, url)
        elif kind == "profile":
            profile = cProfile.Profile()
            out = profile.runcall(dbbasic_apply, path, url)
            profile.dump_stats(path.parent / "apply.prof")
        elif kind == "copy":
            out = copy_clean(url, path)
        elif kind == "pgloader":
            out = run_pgloader(url, path, path.parent / "contacts.load")
        seconds = time.perf_counter() - began
    out.update(seconds=seconds, start_kb=start_kb, peak_kb=memory_kb("VmHWM"),
               children=sorted(children.peaks.values()))
    print(json.dumps(out))


@dataclass
class Measure:
    name: str
    rows: int
    """Records read (dbbasic, pgloader) or rows copied (COPY)."""
    out: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.rows / float(self.out["seconds"])

    @property
    def workers_kb(self) -> list[int]:
        """The peaks of the processes that work for the import: its workers and the fork server they come from."""
        return [kb for kind, kb in self.out["children"] if kind in ("worker", "fork server")]

    @property
    def peak_kb(self) -> int:
        """The process's peak and each worker's peak, added: an upper bound of what they held at once (the
        peaks need not coincide, and each counts the pages they share)."""
        if "children_peak_kb" in self.out:
            return int(self.out["children_peak_kb"])  # pgloader: the wrapper's own memory is not its
        return int(self.out["peak_kb"]) + sum(self.workers_kb)


@dataclass
class SizeResult:
    rows: int
    dbbasic: Measure
    copy: Measure | None = None
    pgloader: Measure | None = None
    rejects: int = 0


def bench_size(server: PostgresServer, tmp: Path, rows: int, full: bool) -> SizeResult:
    root = tmp / f"project-{rows}"
    generator_seconds = make_project(root, rows)
    size_mb = (root / SOURCE).stat().st_size / 1e6
    print(f"\n== {rows:,} rows: {SOURCE} {size_mb:,.1f} MB, generated in {generator_seconds:.1f} s ==")
    url = new_users(server, root)
    checkpoint(url)
    ours = in_child(__file__, "dbbasic", url, root)
    if count(url, "users") != ours["loaded"]:
        raise RuntimeError(f"users holds {count(url, 'users')} rows, the import says it loaded {ours['loaded']}")
    result = SizeResult(rows, Measure("dbbasic import (api.apply)", ours["read"], ours))
    rejects = next((root / "var" / "imports").glob(f"*/{PLAN_ID}.rejects.csv"))
    with rejects.open(encoding="utf-8", newline="") as handle:
        result.rejects = sum(1 for _ in csv.reader(handle)) - 1
    if full:
        clean = tmp / f"clean-{rows}.csv"
        export_clean(url, clean)
        copy_url = new_users(server, root)
        checkpoint(copy_url)
        copied = in_child(__file__, "copy", copy_url, clean)
        result.copy = Measure("COPY FROM of the clean rows", copied["loaded"], copied)
        clean.unlink()
        if shutil.which("pgloader") is None:
            print("pgloader not installed: apt-get install pgloader")
        else:
            raw_url = server.create_database()
            with psycopg.connect(raw_url, autocommit=True) as conn:
                conn.execute(f"CREATE TABLE contacts_raw ({', '.join(f'{c} text' for c in RAW_COLUMNS)})")
                conn.execute("CHECKPOINT")
            loaded = in_child(__file__, "pgloader", raw_url, (root / SOURCE).resolve())
            result.pgloader = Measure("pgloader, raw into text columns", count(raw_url, "contacts_raw"), loaded)
            if result.pgloader.rows != ours["read"]:
                print(f"note: pgloader loaded {result.pgloader.rows:,} rows of the {ours['read']:,} records "
                      f"dbbasic read; its summary: {loaded['summary']}")
    return result


def profile_size(server: PostgresServer, tmp: Path, rows: int) -> None:
    """The dbbasic apply once more, under cProfile (its main process), then a worker's pipeline."""
    root = tmp / f"project-{rows}"
    print(f"\n== where the time goes, {rows:,} rows ==")
    in_child(__file__, "profile", new_users(server, root), root)
    report_main_profile(pstats.Stats(str(tmp / "apply.prof")))
    report_pipeline_profile(root)


# --- where the time goes (--profile) --------------------------------------------------------------------


def profile_groups(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time (tottime) of the main thread by what it does."""
    groups: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "acquire" in function or "/concurrent/" in filename or "/threading.py" in filename:
            group = "waiting for the workers"
        elif "/psycopg" in filename or "psycopg" in function:
            group = "psycopg (COPY, queries, waits for the server)"
        elif "/dbbasic/importers/" in filename or "_csv" in function or "decode" in function:
            group = "reading the source (dbbasic.importers, csv, decoding)"
        elif "/dbbasic/" in filename:
            group = "dbbasic (runner, compile, checks)"
        else:
            group = "other (Python built-ins, yaml, sqlglot, ...)"
        groups[group] = groups.get(group, 0.0) + own
    return sorted(groups.items(), key=lambda item: -item[1])


def report_main_profile(stats: pstats.Stats) -> None:
    groups = profile_groups(stats)
    total = sum(own for _, own in groups)
    print(f"cProfile of the dbbasic apply's main thread (own time; {total:.1f} s under the profiler; the "
          "executor's threads, which pickle chunks and unpickle results, are not profiled):")
    for group, own in groups:
        print(f"  {own:>6.2f} s {own / total:>4.0%}  {group}")
    stats.sort_stats("tottime").print_stats(15)


class _Timed:
    """A rule, or the cast, with the seconds spent in it added up."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seconds, self.calls = inner, 0.0, 0

    def __call__(self, *args: Any) -> Any:
        began = time.perf_counter()
        try:
            return self.inner(*args)
        finally:
            self.seconds += time.perf_counter() - began
            self.calls += 1

    def key(self, row: dict[str, Any]) -> Any:
        """The duplicate rule's match key, timed like a call."""
        began = time.perf_counter()
        try:
            return self.inner.key(row)
        finally:
            self.seconds += time.perf_counter() - began
            self.calls += 1


def report_pipeline_profile(root: Path, sample: int = 50_000) -> None:
    """A worker's work on the first `sample` records, in this process: µs per record reading the source (the
    main process's part), in each rule, casting; then the same under cProfile."""
    step = import_step(root)
    began = time.perf_counter()
    records = list(islice(read_rows(root / SOURCE, source_format(step)), sample))
    read = time.perf_counter() - began
    plain = Pipeline(step.columns, step.types, step.rules)
    began = time.perf_counter()
    for record in records:
        plain.run(record)
    total = time.perf_counter() - began
    timed = Pipeline(step.columns, step.types, step.rules)
    timed.rules = [(name, _Timed(rule)) for name, rule in timed.rules]
    original = cast_module.cast
    cast = _Timed(original)
    setattr(cast_module, "cast", cast)  # noqa: B010  (the pipeline calls cast.cast: time it there)
    try:
        for record in records:
            timed.run(record)
    finally:
        setattr(cast_module, "cast", original)  # noqa: B010
    n = len(records)
    parts = [(name, rule.seconds) for name, rule in timed.rules] + [("cast to the field types", cast.seconds)]
    print(f"a worker's pipeline on the first {n:,} records, µs per record (each timer adds about 0.1 µs):")
    print(f"  {read / n * 1e6:>7.1f}  reading the source (read_rows: decode, CSV; in the main process)")
    for name, seconds in parts:
        print(f"  {seconds / n * 1e6:>7.1f}  {name}")
    print(f"  {(total - sum(s for _, s in parts)) / n * 1e6:>7.1f}  the rest of Pipeline.run (mapping, Loaded)")
    print(f"  {total / n * 1e6:>7.1f}  Pipeline.run in all (without timers)")
    profile = cProfile.Profile()
    profile.runcall(lambda: [plain.run(record) for record in records])
    pstats.Stats(profile).sort_stats("tottime").print_stats(12)


# --- the report -----------------------------------------------------------------------------------------


def goal(met: bool) -> str:
    return "goal met" if met else "goal missed"


def mb(kb: float) -> str:
    return f"{kb / 1024:,.0f} MB"


def report(result: SizeResult) -> None:
    ours = result.dbbasic
    loaded, read = ours.out["loaded"], ours.out["read"]
    print(f"dbbasic: read {read:,} records, loaded {loaded:,}, rejected {result.rejects:,} (duplicates and rule "
          f"failures, in the rejects file); apply {ours.out['seconds']:.2f} s, the import step "
          f"{ours.out['step_seconds']:.2f} s; peak RSS: process {mb(ours.out['peak_kb'])} (at start "
          f"{mb(ours.out['start_kb'])}), workers " + (", ".join(mb(kb) for kb in ours.workers_kb) or "none"))
    limit = result.copy.rate if result.copy else None
    print(f"{'measure':<36} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'x COPY':>7} {'peak memory':>12}")
    for measure in (ours, result.copy, result.pgloader):
        if measure is None:
            continue
        ratio = f"{measure.rate / limit:.2f}" if limit else "-"
        print(f"{measure.name:<36} {measure.rows:>10,} {float(measure.out['seconds']):>8.2f} {measure.rate:>10,.0f} "
              f"{ratio:>7} {mb(measure.peak_kb):>12}")
    print("peak memory: dbbasic = its process + each worker (VmHWM, workers sampled from /proc); COPY = the client "
          "process (the server does the work); pgloader = its process (RUSAGE_CHILDREN of a wrapper)")
    sys.stdout.flush()


def report_goals(results: list[SizeResult]) -> None:
    largest, smallest = results[0], results[-1]
    print()
    rate = largest.dbbasic.rate
    print(f"dbbasic rows/s at {largest.rows:,} rows with all rules: {rate:,.0f} (goal >= {RATE_GOAL:,}): "
          f"{goal(rate >= RATE_GOAL)}")
    for r in results:
        peak = r.dbbasic.peak_kb / 1024
        print(f"dbbasic peak memory at {r.rows:,} rows: {peak:,.0f} MB (goal < {MEMORY_GOAL_MB} MB): "
              f"{goal(peak < MEMORY_GOAL_MB)}")
    if len(results) > 1:
        flat = largest.dbbasic.peak_kb / smallest.dbbasic.peak_kb
        print(f"dbbasic peak memory at {largest.rows:,} rows / at {smallest.rows:,} rows: {flat:.2f}x "
              f"(flat, goal <= {FLAT_GOAL}x): {goal(flat <= FLAT_GOAL)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    size = lambda s: int(s.replace("_", "").replace(",", ""))  # noqa: E731
    parser.add_argument("--rows", type=size, default=1_000_000, help="rows of the export (default 1,000,000)")
    parser.add_argument("--small-rows", type=size, default=100_000,
                        help="rows of a second export that dbbasic alone imports, to compare peak memory (0: none)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the dbbasic import at --rows: its main process, and a worker's pipeline")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], args.child[1], Path(args.child[2]))
        return 0
    server = PostgresServer()
    try:
        with psycopg.connect(server.url()) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        pgloader = shutil.which("pgloader")
        pgloader_version = (subprocess.run([pgloader, "--version"], capture_output=True, text=True).stdout
                            .splitlines()[0] if pgloader else "not installed")
        print(f"dbbasic import bench: {args.rows:,} rows (and {args.small_rows:,} for memory), PostgreSQL "
              f"{row[0] if row else '?'} (fsync off, tests/pg_server.py)")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"psycopg {importlib.metadata.version('psycopg')}, "
              f"phonenumbers {importlib.metadata.version('phonenumbers')}, pgloader: {pgloader_version}")
        results = []
        with tempfile.TemporaryDirectory(prefix="dbbasic-bench-") as tmp:
            for rows, full in ((args.rows, True), (args.small_rows, False)):
                if rows:
                    results.append(bench_size(server, Path(tmp), rows, full))
                    report(results[-1])
                    if args.profile and full:
                        profile_size(server, Path(tmp), rows)
        report_goals(results)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
