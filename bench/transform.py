"""What a transform step costs: dbbasic's normalize_phones migration against the script a team would write.

For N rows of messy phone numbers (US and international numbers in many formats, some already E.164, some
invalid, NULL or blank; seeded), on PostgreSQL (a throwaway server, tests/pg_server.py) and on a SQLite file:
- dbbasic: `api.apply` of a project whose migration is the normalize_phones pattern, run after the schema
  plan and the data are in place; rows/s = N / seconds of the whole apply;
- throwaway script (the baseline): read every row; phonenumbers parse, is_valid_number and format E.164 on
  each value; write the changed ones with executemany, all in one transaction;
- floor: the phone_e164 transform alone over the same values in memory.
Each database measure runs in a new Python process, on a fresh copy of the same data, and reports its
seconds and peak RSS. Goal: dbbasic at least 0.5x the throwaway script's rows/s on each database.
Run: python bench/transform.py [--rows 200000] [--runs 3] [--profile]
Exit status 0: this is a report; the goal is printed as "goal met" or "goal missed".
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.metadata
import itertools
import json
import os
import platform
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import psycopg

from dbbasic import api
from dbbasic.transforms import phone_e164

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from pg_server import PostgresServer  # noqa: E402  (tests/ is not a package)

RATE_GOAL = 0.5  # dbbasic rows/s at least half of the throwaway script's
SEED = 20261122
REGION = "US"
PLAN_ID = "migrations/normalize_phones"
SPECS = {
    "dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
    "data.yaml": "data:\n  users:\n    fields:\n      id: id\n      phone: phone\n",
    "migrations/normalize_phones.yaml": f"""migration:
  task: "Normalize users.phone to E.164"
  pattern: normalize_phones
  model: users
  field: phone
  options: {{default_region: {REGION}}}
""",
}

# --- the data -------------------------------------------------------------------------------------------

US_AREAS = ("201", "202", "206", "212", "213", "305", "312", "404", "415", "503", "512", "602", "617", "646",
            "702", "713", "718", "773", "808", "917")
US_FORMATS = ("({a}) {e}-{s}", "{a}-{e}-{s}", "{a}.{e}.{s}", "{a}{e}{s}", "1-{a}-{e}-{s}", "+1 {a} {e} {s}",
              "1 ({a}) {e}-{s}", " {a} {e} {s} ", "+1 ({a}) {e}-{s}")
REGIONS = ("GB", "DE", "FR", "IN", "BR", "MX", "AU", "JP", "CA", "ES")
JUNK = ("n/a", "N/A", "none", "-", "?", "call me", "TBD", "see notes", "unknown")
PLACEHOLDERS = ("000-000-0000", "9999999999", "123-4567", "555-1234", "1234", "0", "111-111-1111", "12345678901234567")
VANITY = ("1-800-FLOWERS", "1-800-GO-FEDEX", "(888) 555-CALL", "1-800-CONTACTS")
KINDS = {  # kind: share of the rows, in percent
    "us": 50, "us_e164": 10, "intl": 12, "intl_national": 3, "null": 10, "blank": 3, "junk": 4,
    "placeholder": 5, "extension": 2, "vanity": 1,
}


def us_number(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(US_AREAS), str(rng.randint(200, 999)), f"{rng.randrange(10_000):04}"


def intl_number(rng: random.Random) -> phonenumbers.PhoneNumber:
    """A mobile number of a random region: its example number with the last four digits drawn (mostly valid)."""
    example = phonenumbers.example_number_for_type(rng.choice(REGIONS), phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None and example.national_number is not None  # every region of REGIONS has one
    return phonenumbers.PhoneNumber(country_code=example.country_code,
                                    national_number=example.national_number // 10_000 * 10_000 + rng.randrange(10_000))


def messy_phone(rng: random.Random, kind: str) -> str | None:
    fmt = phonenumbers.PhoneNumberFormat
    if kind in ("us", "us_e164", "extension"):
        a, e, s = us_number(rng)
        if kind == "us_e164":
            return f"+1{a}{e}{s}"
        text = rng.choice(US_FORMATS).format(a=a, e=e, s=s)
        if kind == "us":
            return text
        return f"{text.strip()}{rng.choice((' x', ' ext. ', ' ext ', ';ext='))}{rng.randint(1, 999)}"
    if kind == "intl":
        number = intl_number(rng)
        written = rng.choice(("international", "e164", "idd"))
        if written == "idd":  # dialled from the US: 011, then the number without its +
            return "011 " + phonenumbers.format_number(number, fmt.INTERNATIONAL)[1:]
        return phonenumbers.format_number(number, fmt.E164 if written == "e164" else fmt.INTERNATIONAL)
    if kind == "intl_national":  # a foreign number written as at home, without its country code
        return phonenumbers.format_number(intl_number(rng), fmt.NATIONAL)
    return {"null": None, "blank": rng.choice(("", " ", "  ")), "junk": rng.choice(JUNK),
            "placeholder": rng.choice(PLACEHOLDERS), "vanity": rng.choice(VANITY)}[kind]


def messy_phones(rows: int) -> list[str | None]:
    """The phone column, row by row (id 1 is the first); the same `rows` always give the same values."""
    rng = random.Random(SEED)
    kinds = rng.choices(list(KINDS), weights=list(KINDS.values()), k=rows)
    return [messy_phone(rng, kind) for kind in kinds]


# --- the measures ---------------------------------------------------------------------------------------


def write_project(root: Path) -> None:
    for name, text in SPECS.items():
        path = root / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def prepare(root: Path, target: str, phones: list[str | None]) -> None:
    """`users` created by dbbasic's schema plan on `target` (a new database), then filled with `phones`."""
    api.apply(root, target, ["schema"], require_approval=False)
    rows = list(enumerate(phones, start=1))
    if target.startswith("sqlite:///"):
        with closing(sqlite3.connect(target.removeprefix("sqlite:///"))) as file, file:
            file.executemany("INSERT INTO users (id, phone) VALUES (?, ?)", rows)
        return
    with psycopg.connect(target, autocommit=True) as conn:
        with conn.cursor() as cursor, cursor.copy("COPY users (id, phone) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("VACUUM ANALYZE users")
        conn.execute("CHECKPOINT")  # the fill's dirty pages are not written during the measure


def throwaway_script(target: str) -> int:
    """The baseline, as a team writes it for a one-off: read every row; parse, check and format each value
    with phonenumbers; write the changed ones with executemany; commit once. Returns the rows it changed."""
    is_sqlite = target.startswith("sqlite:///")
    conn: Any = sqlite3.connect(target.removeprefix("sqlite:///")) if is_sqlite else psycopg.connect(target)
    mark = "?" if is_sqlite else "%s"
    with closing(conn):
        cursor = conn.cursor()
        cursor.execute("SELECT id, phone FROM users")
        updates = []
        for key, phone in cursor.fetchall():
            if phone is None:
                continue
            try:
                number = phonenumbers.parse(phone, REGION)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                if e164 != phone:
                    updates.append((e164, key))
        cursor.executemany(f"UPDATE users SET phone = {mark} WHERE id = {mark}", updates)
        conn.commit()
    return len(updates)


def dbbasic_apply(root: Path, target: str) -> dict[str, Any]:
    result = api.apply(root, target, require_approval=False)
    steps = [s for s in result.steps if s.plan_id == PLAN_ID]
    if not steps or any(s.status != "applied" for s in steps):
        raise RuntimeError(f"the migration ran {[(s.step_id, s.status) for s in result.steps]}")
    return {"steps": [(s.step_id, s.rows, s.seconds) for s in steps]}


def floor_seconds(phones: list[str | None]) -> dict[str, float]:
    """Seconds of phone_e164 over the values in memory, and of the bare parse + is_valid + format."""
    to_e164 = phone_e164.prepare({"default_region": REGION})
    began = time.perf_counter()
    for phone in phones:
        to_e164(phone)
    transform = time.perf_counter() - began
    began = time.perf_counter()
    for phone in phones:
        if phone is not None:
            try:
                number = phonenumbers.parse(phone, REGION)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return {"transform": transform, "bare": time.perf_counter() - began}


def memory_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process. Not getrusage's ru_maxrss: Linux carries that over from
    the parent through fork and exec, so a child would report the parent's peak whenever it is the larger."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_child(kind: str, target: str, root: Path) -> None:
    """In a new process: one measure, printed as JSON with its seconds and the process's peak RSS."""
    start_kb = memory_kb("VmRSS")  # after the imports
    out: dict[str, Any] = {}
    if kind == "floor":  # the values are read before the clock starts
        out = floor_seconds(read_phones(target))
    began = time.perf_counter()
    if kind == "dbbasic":
        out = dbbasic_apply(root, target)
    elif kind == "throwaway":
        out = {"changed": throwaway_script(target)}
    elif kind == "profile":
        profile = cProfile.Profile()
        profile.runcall(dbbasic_apply, root, target)
        profile.dump_stats(root.parent / "apply.prof")
    out.update(seconds=time.perf_counter() - began, start_kb=start_kb, peak_kb=memory_kb("VmHWM"))
    print(json.dumps(out))


def in_child(kind: str, target: str, root: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", kind, target, str(root)], capture_output=True,
                          text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} process failed:\n{done.stderr}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def read_phones(target: str) -> list[str | None]:
    sql = "SELECT phone FROM users ORDER BY id"
    if target.startswith("sqlite:///"):
        with closing(sqlite3.connect(target.removeprefix("sqlite:///"))) as conn:
            return [row[0] for row in conn.execute(sql)]
    with psycopg.connect(target) as pg:
        return [row[0] for row in pg.execute(sql)]


def read_report(target: str) -> Counter[str]:
    sql = "SELECT note, count(*) FROM users_phone_report GROUP BY note"
    if target.startswith("sqlite:///"):
        with closing(sqlite3.connect(target.removeprefix("sqlite:///"))) as conn:
            return Counter(dict(conn.execute(sql).fetchall()))
    with psycopg.connect(target) as pg:
        return Counter({note: n for note, n in pg.execute(sql)})


def differences(original: list[str | None], dbbasic: list[str | None], throwaway: list[str | None]) -> Counter[str]:
    """Rows whose phone differs between the two results, by why: `extension` and `letters` (vanity numbers)
    are values phone_e164 rejects on purpose (the throwaway script rewrites them); anything else is `unexpected`."""
    found: Counter[str] = Counter()
    for before, ours, theirs in zip(original, dbbasic, throwaway, strict=True):
        if ours == theirs:
            continue
        if before is not None and ours == before and phonenumbers.parse(before, REGION).extension:
            found["extension"] += 1
        elif before is not None and any(c.isalpha() for c in before):
            found["letters"] += 1
        else:
            found["unexpected"] += 1
    return found


@dataclass
class Result:
    database: str
    runs: list[dict[str, dict[str, Any]]]
    """Per run, each measure's output (`dbbasic`, `throwaway`, `floor`)."""
    report: Counter[str]
    """The report table's rows by note, after the last dbbasic apply."""
    differ: Counter[str]
    profile: pstats.Stats | None

    def seconds(self, measure: str, key: str = "seconds") -> float:
        """The median over the runs."""
        return float(statistics.median(run[measure][key] for run in self.runs))

    def peak_kb(self, measure: str) -> int:
        return max(int(run[measure]["peak_kb"]) for run in self.runs)

    def start_kb(self, measure: str) -> int:
        return max(int(run[measure]["start_kb"]) for run in self.runs)

    def step_seconds(self, step: str) -> float:
        return float(statistics.median(next(s[2] for s in run["dbbasic"]["steps"] if step in s[0])
                                       for run in self.runs))

    @property
    def ratio(self) -> float:
        """dbbasic rows/s / the throwaway script's rows/s."""
        return self.seconds("throwaway") / self.seconds("dbbasic")


def bench_database(database: str, new_target: Callable[[], str], root: Path, phones: list[str | None],
                   runs: int, profile: bool) -> Result:
    """Each run: the floor, dbbasic and the throwaway script in turn, each on a fresh copy of the data; then
    the last run's results compared."""
    measured = []
    for _ in range(runs):
        ours, theirs = new_target(), new_target()
        prepare(root, ours, phones)
        prepare(root, theirs, phones)
        measured.append({"floor": in_child("floor", theirs, root), "dbbasic": in_child("dbbasic", ours, root),
                         "throwaway": in_child("throwaway", theirs, root)})
    differ = differences(phones, read_phones(ours), read_phones(theirs))
    stats = None
    if profile:
        profiled = new_target()
        prepare(root, profiled, phones)
        in_child("profile", profiled, root)
        stats = pstats.Stats(str(root.parent / "apply.prof"))
    return Result(database, measured, read_report(ours), differ, stats)


# --- the report -----------------------------------------------------------------------------------------


def goal(met: bool) -> str:
    return "goal met" if met else "goal missed"


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def profile_groups(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time (tottime) by where the code lives: phonenumbers, re, the database driver, dbbasic, the rest."""
    groups: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/phonenumbers/" in filename:
            group = "phonenumbers"
        elif "/psycopg" in filename or "sqlite3." in function or "psycopg" in function:
            group = "database driver (psycopg / sqlite3, waits for the server included)"
        elif "/re/" in filename or "re.Pattern" in function:
            group = "re (regular expressions, nearly all phonenumbers')"
        elif "/dbbasic/" in filename:
            group = "dbbasic"
        else:
            group = "other (Python built-ins, sqlglot, yaml, ...)"
        groups[group] = groups.get(group, 0.0) + own
    return sorted(groups.items(), key=lambda item: -item[1])


def report(result: Result, rows: int) -> None:
    ours, theirs, floor = result.seconds("dbbasic"), result.seconds("throwaway"), result.seconds("floor", "transform")
    step = result.step_seconds("-normalize-")
    last = result.runs[-1]
    print(f"\n== {result.database}, {rows:,} rows, median of {len(result.runs)} runs ==")
    print(f"{'measure':<34} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9} {'at start':>8}  note")
    steps = "; ".join(f"{step_id} {result.step_seconds(step_id):.2f} s" for step_id, _, _ in last["dbbasic"]["steps"])
    print(f"{'dbbasic apply (normalize_phones)':<34} {ours:>8.2f} {rows / ours:>9,.0f} "
          f"{mb(result.peak_kb('dbbasic')):>9} {mb(result.start_kb('dbbasic')):>8}  {steps}; report rows: "
          + ", ".join(f"{n:,} {note}" for note, n in sorted(result.report.items())))
    print(f"{'throwaway script':<34} {theirs:>8.2f} {rows / theirs:>9,.0f} {mb(result.peak_kb('throwaway')):>9} "
          f"{mb(result.start_kb('throwaway')):>8}  baseline; changed {last['throwaway']['changed']:,}")
    print(f"{'floor: phone_e164 in memory':<34} {floor:>8.2f} {rows / floor:>9,.0f} {'':>9} {'':>8}  "
          f"bare parse + is_valid_number + format: {result.seconds('floor', 'bare'):.2f} s")
    def each(measure: str, key: str = "seconds") -> str:
        return ", ".join(f"{run[measure][key]:.2f}" for run in result.runs)

    print(f"each run, seconds: dbbasic {each('dbbasic')}; throwaway {each('throwaway')}; floor "
          f"{each('floor', 'transform')}")
    print(f"ratio dbbasic/throwaway rows/s: {result.ratio:.2f} (goal >= {RATE_GOAL}): "
          f"{goal(result.ratio >= RATE_GOAL)}")
    print(f"where dbbasic's time goes: phone_e164 {floor:.2f} s = {floor / ours:.0%} of the apply; the rest of the "
          f"transform step (reads with row locks, writes, report rows, checkpoints) {step - floor:.2f} s = "
          f"{(step - floor) / ours:.0%}; the apply beyond that step (validate, compile, compare with generated/, "
          f"report table, check) {ours - step:.2f} s = {(ours - step) / ours:.0%}")
    differ = result.differ
    print(f"phone values: same on {rows - sum(differ.values()):,} rows; differ by design on "
          f"{differ['extension'] + differ['letters']:,} ({differ['extension']:,} with an extension, "
          f"{differ['letters']:,} vanity numbers: the throwaway script rewrites them, dropping the extension or "
          f"spelling out the letters; dbbasic keeps and reports them); unexpected differences: "
          f"{differ['unexpected']:,}" + ("" if differ["unexpected"] else " (same results)"))
    if result.profile is not None:
        groups = profile_groups(result.profile)
        total = sum(own for _, own in groups)
        print(f"cProfile of one more dbbasic apply (own time; the profiler slows it to {total:.1f} s):")
        for group, own in groups:
            print(f"  {own:>6.2f} s {own / total:>4.0%}  {group}")
        result.profile.sort_stats("tottime").print_stats(10)


def summary(results: list[Result], rows: int) -> None:
    print(f"\n== summary, {rows:,} rows ==")
    print(f"{'database':<12} {'dbbasic rows/s':>15} {'throwaway rows/s':>17} {'dbbasic/throwaway':>18} "
          f"{'transform share':>16} {'dbbasic peak RSS':>17}  goal")
    for r in results:
        ours = r.seconds("dbbasic")
        print(f"{r.database:<12} {rows / ours:>15,.0f} {rows / r.seconds('throwaway'):>17,.0f} {r.ratio:>18.2f} "
              f"{r.seconds('floor', 'transform') / ours:>16.0%} {mb(r.peak_kb('dbbasic')):>17}  "
              f"{goal(r.ratio >= RATE_GOAL)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=200_000, help="rows of users")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure per database (the median counts)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the dbbasic apply once more under cProfile and print where its time goes")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "TARGET", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], args.child[1], Path(args.child[2]))
        return 0
    rows = args.rows
    phones = messy_phones(rows)
    print(f"dbbasic transform bench: normalize_phones over {rows:,} rows, default_region {REGION}, "
          f"{len(set(phones)):,} distinct values; {args.runs} runs")
    print("values by kind: " + ", ".join(f"{kind} {share}%" for kind, share in KINDS.items()))
    results = []
    with tempfile.TemporaryDirectory(prefix="dbbasic-bench-") as tmp:
        root = Path(tmp) / "project"
        write_project(root)
        api.plan(root)
        server = PostgresServer()
        try:
            with psycopg.connect(server.url()) as conn:
                row = conn.execute("SHOW server_version").fetchone()
            print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
                  f"psycopg {importlib.metadata.version('psycopg')}, phonenumbers {phonenumbers.__version__}, "
                  f"PostgreSQL {row[0] if row else '?'}, SQLite {sqlite3.sqlite_version}")
            results.append(bench_database("PostgreSQL", server.create_database, root, phones, args.runs,
                                          args.profile))
            report(results[-1], rows)
            sys.stdout.flush()
        finally:
            server.stop()
        files = itertools.count(1)
        results.append(bench_database("SQLite", lambda: f"sqlite:///{tmp}/users-{next(files)}.db", root, phones,
                                      args.runs, args.profile))
        report(results[-1], rows)
    summary(results, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
