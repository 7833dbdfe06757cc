"""Benchmark dbbasic on a data model of N tables: validate, compile and plan it, then apply it.

Why: `dbbasic plan` runs on every spec edit and in CI, so validate+plan of a 100-table model must stay
well under a second; and applying the schema plan should cost little more than running the same DDL
with psql, the floor for any tool. Run: python bench/compile.py [--tables 100] [--runs 5]
Exit status 1 if the validate+plan total is over TARGET_SECONDS (checked here only, never in tests).
"""

from __future__ import annotations

import argparse
import functools
import glob
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from dbbasic import api
from dbbasic.sql import dialect as sql_dialect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from pg_server import PostgresServer  # noqa: E402  (tests/ is not a package)

TARGET_SECONDS = 1.0
SEED = 20261122
AREAS = ["core", "billing", "crm", "shop", "hr", "support", "content", "logistics", "auth", "finance",
         "marketing", "analytics"]
ENTITIES = ["accounts", "invoices", "orders", "customers", "products", "tickets", "articles", "shipments",
            "employees", "payments", "coupons", "events", "sessions", "teams", "documents", "tags", "reviews",
            "subscriptions", "warehouses", "suppliers", "contracts", "campaigns", "leads", "notes", "assets",
            "refunds", "carts", "addresses", "devices", "reports"]
ON_DELETE_REQUIRED = ["cascade", "restrict", "no_action"]
ON_DELETE_OPTIONAL = ["set_null", "cascade", "restrict"]

Field = dict[str, Any]
T = TypeVar("T")


def _uuid(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["external_id", "public_id", "token"]), {"type": "uuid", "unique": rng.random() < 0.5}


def _text(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["notes", "description", "summary", "body", "comment"]), {"type": "text"}


def _string(rng: random.Random) -> tuple[str, Field]:
    return (rng.choice(["name", "title", "code", "slug", "label"]),
            {"type": f"string({rng.choice([32, 80, 120, 255])})", "required": rng.random() < 0.6,
             "unique": rng.random() < 0.2})


def _email(rng: random.Random) -> tuple[str, Field]:
    return (rng.choice(["email", "contact_email", "billing_email"]),
            {"type": "email", "unique": rng.random() < 0.4, "required": rng.random() < 0.4})


def _phone(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["phone", "mobile", "fax"]), {"type": "phone"}


def _url(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["website", "avatar_url", "homepage"]), {"type": "url", "unique": rng.random() < 0.2}


def _int(rng: random.Random) -> tuple[str, Field]:
    return (rng.choice(["quantity", "position", "attempts", "rank"]),
            {"type": "int", "default": 0, "required": True} if rng.random() < 0.5 else {"type": "int"})


def _bigint(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["views", "size_bytes", "counter"]), {"type": "bigint", "default": rng.choice([0, None])}


def _decimal(rng: random.Random) -> tuple[str, Field]:
    precision = rng.choice([10, 12, 18])
    return (rng.choice(["price", "amount", "balance", "tax_rate"]),
            {"type": f"decimal({precision}, {rng.choice([2, 4])})", "required": rng.random() < 0.5})


def _float(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["score", "latitude", "longitude", "weight"]), {"type": "float"}


def _bool(rng: random.Random) -> tuple[str, Field]:
    return (rng.choice(["active", "archived", "verified", "is_public"]),
            {"type": "bool", "default": rng.random() < 0.5, "required": True})


def _date(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["due_on", "born_on", "starts_on", "ends_on"]), {"type": "date"}


def _timestamp(rng: random.Random) -> tuple[str, Field]:
    name = rng.choice(["updated_at", "deleted_at", "published_at", "last_seen_at"])
    return name, {"type": "timestamp", "default": "now" if name == "updated_at" else None}


def _json(rng: random.Random) -> tuple[str, Field]:
    return rng.choice(["metadata", "settings", "attributes"]), {"type": "json", "default": rng.choice([{}, None])}


def _enum(rng: random.Random) -> tuple[str, Field]:
    name, values = rng.choice([("status", ["draft", "active", "closed"]), ("priority", ["low", "normal", "high"]),
                               ("kind", ["internal", "external", "partner", "other"]),
                               ("visibility", ["private", "team", "public"])])
    return name, {"type": "enum", "values": values, "default": values[0], "required": rng.random() < 0.7}


FIELD_MAKERS: list[Callable[[random.Random], tuple[str, Field]]] = [
    _uuid, _text, _string, _email, _phone, _url, _int, _bigint, _decimal, _float, _bool, _date, _timestamp,
    _json, _enum]


def _yaml(value: Any) -> str:
    """A YAML flow value: what a person writes inline (`{type: email, unique: true}`), quoted where needed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    text = str(value)
    return json.dumps(text) if re.search(r"[^\w() .-]", text) else text


def _table(rng: random.Random, name: str, earlier: list[str]) -> list[str]:
    """The YAML lines of one table: a key, refs to earlier tables, typed fields, created_at, indexes."""
    fields: dict[str, Field] = {"id": {"type": rng.choice(["id", "id", "id", "uuid"])}}
    for target in rng.sample(earlier, rng.randint(0, min(3, len(earlier)))):
        required = rng.random() < 0.5
        fields[f"{target}_id"] = {"ref": target, "required": required, "index": rng.random() < 0.3,
                                  "on_delete": rng.choice(ON_DELETE_REQUIRED if required else ON_DELETE_OPTIONAL)}
    for make in rng.sample(FIELD_MAKERS, max(rng.randint(8, 15) - len(fields) - 1, 0)):
        fname, spec = make(rng)  # one field per semantic type in a table, so names never repeat
        fields[fname] = spec
    fields["created_at"] = {"type": "timestamp", "default": "now", "required": True}
    lines = [f"  {name}:", "    fields:"]
    for fname, spec in fields.items():
        spec = {k: v for k, v in spec.items() if v is not None and (v is not False or k == "default")}
        lines.append(f"      {fname}: {_yaml(spec['type'] if list(spec) == ['type'] else spec)}")
    indexable = [f for f, s in fields.items() if f != "id" and s.get("type") != "json" and not s.get("index")]
    seen: set[tuple[str, ...]] = set()
    lines.append("    indexes:")
    for _ in range(rng.randint(1, 3)):
        columns = rng.sample(indexable, rng.choice([1, 1, 2, 2, 3]))
        if tuple(columns) in seen:
            continue
        seen.add(tuple(columns))
        written = [f"{c} desc" if rng.random() < 0.3 else c for c in columns]
        lines.append(f"      - {_yaml(written[0] if len(written) == 1 else written)}")
    return lines


def generate_project(root: Path, tables: int) -> None:
    """Write a project of `tables` tables, the same for the same count (seeded), into `root/specs`."""
    rng = random.Random(SEED)
    names = [f"{area}_{entity}" for area in AREAS for entity in ENTITIES]
    rng.shuffle(names)
    names = [names[i % len(names)] + (f"_{i // len(names)}" if i >= len(names) else "") for i in range(tables)]
    lines = ["data:"]
    for i, name in enumerate(names):
        lines += _table(rng, name, names[:i])
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "dbbasic.yaml").write_text("project:\n  name: bench\n  dialects: [postgres, sqlite]\n")
    (root / "specs" / "data.yaml").write_text("\n".join(lines) + "\n")


def timed(action: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Seconds one call takes, from an empty statement-parse cache as in a fresh `dbbasic` process:
    the cache is keyed by SQL text, so a warm one would let every run after the first skip sqlglot."""
    sql_dialect._parse.cache_clear()
    start = time.perf_counter()
    result = action(*args, **kwargs)
    return time.perf_counter() - start, result


def bench_compile(root: Path, runs: int) -> dict[str, float]:
    """Medians of validate, compile_specs, their sum per run, and plan writing generated/ from scratch."""
    times: dict[str, list[float]] = {"validate": [], "compile": [], "validate+plan": [], "plan": []}
    for _ in range(runs):
        validate_s, validation = timed(functools.partial(api.validate, compile_check=False), root)
        compile_s, _ = timed(api.compile_specs, validation.specs)
        shutil.rmtree(root / "generated", ignore_errors=True)
        plan_s, _ = timed(api.plan, root)
        times["validate"].append(validate_s)
        times["compile"].append(compile_s)
        times["validate+plan"].append(validate_s + compile_s)
        times["plan"].append(plan_s)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_cli(root: Path, runs: int) -> float:
    """Median of `dbbasic plan` as a user runs it: a new process, so imports are included."""
    command = [sys.executable, "-c", "from dbbasic.cli import main; main()", "plan", "--project", str(root)]
    times = []
    for _ in range(runs):
        shutil.rmtree(root / "generated", ignore_errors=True)
        seconds, _ = timed(subprocess.run, command, check=True, stdout=subprocess.DEVNULL)
        times.append(seconds)
    return statistics.median(times)


def _psql() -> str:
    found = shutil.which("psql") or max(glob.glob("/usr/lib/postgresql/*/bin/psql"), default=None)
    if found is None:
        raise RuntimeError("psql not found: apt-get install -y postgresql-client")
    return found


def _pg_user_tables(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                           "AND table_type = 'BASE TABLE' AND table_name <> 'dbbasic_history'").fetchone()
    return int(row[0]) if row else 0


def _sqlite_user_tables(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                           "AND name NOT LIKE 'sqlite_%' AND name <> 'dbbasic_history'").fetchone()
    return int(row[0])


def _expect_tables(found: int, tables: int, where: str) -> None:
    if found != tables:
        raise RuntimeError(f"{where} has {found} user tables after apply, expected {tables}")


def bench_postgres(root: Path, runs: int, tables: int) -> tuple[dict[str, float], str]:
    """Medians of dbbasic apply and of psql running up.sql, each on fresh empty databases, run after run."""
    psql, up_sql = _psql(), root / "generated" / "schema" / "postgres" / "up.sql"
    times: dict[str, list[float]] = {"dbbasic": [], "psql": []}
    server = PostgresServer()
    try:
        for _ in range(runs):
            url = server.create_database()
            seconds, _ = timed(api.apply, root, url, require_approval=False)
            times["dbbasic"].append(seconds)
            _expect_tables(_pg_user_tables(url), tables, "PostgreSQL (dbbasic apply)")
            url = server.create_database()
            command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(up_sql), url]
            seconds, _ = timed(subprocess.run, command, check=True, stdout=subprocess.DEVNULL)
            times["psql"].append(seconds)
            _expect_tables(_pg_user_tables(url), tables, "PostgreSQL (psql)")
        with psycopg.connect(server.url()) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        version = str(row[0]) if row else "?"
    finally:
        server.stop()
    return {name: statistics.median(values) for name, values in times.items()}, version


def bench_sqlite(root: Path, runs: int, tables: int) -> float:
    """Median of dbbasic apply to a fresh SQLite file (no baseline: the sqlite3 shell may not be installed)."""
    times = []
    for run in range(runs):
        path = root / "var" / f"bench_{run}.db"
        seconds, _ = timed(api.apply, root, f"sqlite:///{path}", require_approval=False)
        times.append(seconds)
        _expect_tables(_sqlite_user_tables(path), tables, "SQLite")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tables", type=int, default=100, help="tables in the generated data model")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure; the median is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbbasic-bench-") as tmp:
        root = Path(tmp)
        generate_project(root, args.tables)
        validation = api.validate(root)
        if not validation.ok or validation.specs is None:
            for problem in validation.errors:
                print(problem, file=sys.stderr)
            return 1
        model = validation.specs.data
        fields = sum(len(t.fields) for t in model.tables)
        indexes = sum(len(t.indexes) + sum(f.index for f in t.fields) for t in model.tables)
        compiled = bench_compile(root, args.runs)
        cli_s = bench_cli(root, args.runs)
        postgres, pg_version = bench_postgres(root, args.runs, args.tables)
        sqlite_s = bench_sqlite(root, args.runs, args.tables)
    within = compiled["validate+plan"] <= TARGET_SECONDS
    rows = [
        ("validate (load + validate specs)", compiled["validate"], ""),
        ("compile (compile_specs, 2 dialects)", compiled["compile"], ""),
        ("validate+plan total (validate+compile)", compiled["validate+plan"],
         f"target < {TARGET_SECONDS:.1f} s: {'ok' if within else 'MISSED'}"),
        ("plan (api.plan, writes generated/)", compiled["plan"], ""),
        ("dbbasic plan CLI (new process)", cli_s, "for reference: includes imports"),
        ("apply to PostgreSQL (dbbasic)", postgres["dbbasic"], f"{postgres['dbbasic'] / postgres['psql']:.2f}x psql"),
        ("apply to PostgreSQL (psql -f up.sql)", postgres["psql"], "baseline"),
        ("apply to SQLite (dbbasic)", sqlite_s, ""),
    ]
    print(f"dbbasic bench: {args.tables} tables, {fields} fields, {indexes} indexes; median of {args.runs} runs")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"sqlglot {importlib.metadata.version('sqlglot')}, PostgreSQL {pg_version}")
    print(f"{'measure':<38} {'median s':>9}  note")
    for measure, seconds, note in rows:
        print(f"{measure:<38} {seconds:>9.3f}  {note}".rstrip())
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
