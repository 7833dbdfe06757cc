"""Run Squawk and dbbasic's plan linter over the same SQL and print what each finds.

Why: dbbasic's PostgreSQL lint rules port Squawk's (github.com/sbdchd/squawk); this shows, statement by
statement, where the two agree, and lists every Squawk finding on the SQL that dbbasic itself generates.
Run: python bench/lint_vs_squawk.py [--squawk PATH] [--all] [--as-written]

Squawk is not a dependency: `pip install squawk-cli` puts a `squawk` binary on PATH (or pass --squawk).
Without it the script says so and exits 2; it never installs anything. Otherwise it exits 0, whatever the
tools find (1 only when Squawk fails to run).

The corpus:
- every plan under `generated/` of the example project (as committed) and of `tests/fixtures/wide`
  (compiled into a temporary directory), PostgreSQL only: each statement of `up.sql` and `down.sql`;
- `BAD`, a few known-bad statements, one or more per rule.

Squawk reads each file (`squawk --reporter=json FILE`) as the runner runs it: the copy it reads wraps each
step that runs in a transaction (ddl, batched, check; every `down` but an online_ddl step's) in `BEGIN;`
and `COMMIT;`, with the `SET LOCAL lock_timeout` and `statement_timeout` the runner opens ddl steps,
batches and rollbacks with, on the lines the file already has (the `-- step` comment, the step's last
line), so line numbers stay. An online_ddl step stays as written. With `--as-written` Squawk reads the
files as they are instead. Either way the psycopg placeholders of a batched step (`%(after)s`) reach
Squawk as `$1`, `$2` (it cannot parse them). dbbasic's findings are attributed to a statement by linting
each step one statement more at a time, with the whole plan's context; dbbasic does not lint `down`
statements (by design: a `down` undoes its step).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlglot import exp

from dbbasic import api
from dbbasic.plan import artifacts
from dbbasic.plan.lint import RULES, LintContext, lint_context
from dbbasic.plan.model import (
    SQL_STEPS,
    BatchedStep,
    CheckStep,
    DdlStep,
    OnlineDdlStep,
    Plan,
    Step,
)
from dbbasic.specs.model import Source
from dbbasic.sql.dialect import Dialect

REPO = Path(__file__).resolve().parent.parent
POSTGRES = Dialect.get("postgres")

SQUAWK_NAMES: dict[str, tuple[str, ...]] = {
    # dbbasic code -> the Squawk rules whose finding on a statement it stands for. Most are one rule of the
    # same name. Squawk also reports `constraint-missing-not-valid` for foreign keys, UNIQUE and PRIMARY
    # KEY constraints (PostgreSQL accepts NOT VALID only for CHECK and FOREIGN KEY); dbbasic reports each
    # statement once, under the rule for what it adds.
    "adding-field-with-default": ("adding-field-with-default",),
    "adding-foreign-key-constraint": ("adding-foreign-key-constraint", "constraint-missing-not-valid"),
    "adding-not-nullable-field": ("adding-not-nullable-field",),
    "adding-required-field": ("adding-required-field",),
    "adding-serial-primary-key-field": ("adding-serial-primary-key-field", "constraint-missing-not-valid"),
    "ban-char-field": ("ban-char-field",),
    "changing-column-type": ("changing-column-type",),
    "concurrent-in-transaction": ("ban-concurrent-index-creation-in-transaction",),
    "constraint-missing-not-valid": ("constraint-missing-not-valid",),
    "destructive-statement": ("ban-drop-table", "ban-drop-column", "ban-truncate-cascade"),
    "disallowed-unique-constraint": ("disallowed-unique-constraint", "constraint-missing-not-valid"),
    "prefer-bigint-over-int": ("prefer-bigint-over-int",),
    "prefer-robust-stmts": ("prefer-robust-stmts",),
    "prefer-text-field": ("prefer-text-field",),
    "prefer-timestamptz": ("prefer-timestamp-tz",),
    "renaming-column": ("renaming-column",),
    "renaming-table": ("renaming-table",),
    "require-concurrent-index-creation": ("require-concurrent-index-creation",),
    "require-concurrent-index-deletion": ("require-concurrent-index-deletion",),
    "transaction-nesting": ("transaction-nesting",),
    # dbbasic only: no Squawk counterpart
    "batched-key-without-index": (),
    "missing-down": (),
    "rewrite-on-large-table": (),
}

DOWN = "a `down` undoes its step (drops what the up created); dbbasic does not lint rollback SQL"
CREATED = ("the table is created earlier in this plan, so it is empty; Squawk exempts only a table created in the "
           "same transaction")
LOCKING = frozenset({"adding-field-with-default", "adding-foreign-key-constraint", "adding-not-nullable-field",
                     "adding-required-field", "adding-serial-primary-key-field", "changing-column-type",
                     "constraint-missing-not-valid", "disallowed-unique-constraint",
                     "require-concurrent-index-creation"})
"""Squawk rules about locks and rewrites, which dbbasic does not apply to tables the plan creates."""
RERUN = ("the runner makes a named CREATE INDEX CONCURRENTLY safe to run again (it skips a valid index and drops "
         "an INVALID one first), so dbbasic does not ask for IF NOT EXISTS")
AS_WRITTEN = {
    # With --as-written, Squawk does not see the transaction the runner runs a step in, nor the timeouts it sets.
    "require-lock-timeout": "the runner sets `lock_timeout` (5 s) in the step's transaction; the file does not show it",
    "require-statement-timeout": "the runner sets `statement_timeout` (300 s) in the step's transaction",
    "prefer-robust-stmts": "the step runs in a transaction: it is rolled back whole, never half-applied",
    "require-concurrent-index-creation": "a table created in the same plan (Squawk exempts it only in a transaction)",
    "constraint-missing-not-valid": "a table created in the same plan (Squawk exempts it only in a transaction)",
    "adding-foreign-key-constraint": "a table created in the same plan (Squawk exempts it only in a transaction)",
}
SETTINGS = "BEGIN; SET LOCAL lock_timeout = 5000; SET LOCAL statement_timeout = 300000; "
"""What the runner runs before a ddl step, a batch or a rollback step (`Dialect.step_settings`)."""

# The context the known-bad cases assume: what the data model would say of the tables they touch.
BAD_INDEXED = frozenset({("users", "id"), ("users", "email"), ("todos", "id")})
BAD_ROWS = {"users": 2_500_000}


@dataclass(frozen=True)
class Case:
    """A known-bad step: the rule it is for, its statements, and whether it runs in a transaction."""

    rule: str
    sql: tuple[str, ...]
    transactional: bool = True
    kind: str = "ddl"
    """"ddl" (with a down), "no-down", or "batched" (the first statement, over users by created_at)."""


BAD: tuple[Case, ...] = (
    Case("adding-field-with-default", ("ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",)),
    Case("adding-not-nullable-field", ("ALTER TABLE users ALTER COLUMN email SET NOT NULL",)),
    Case("adding-required-field", ("ALTER TABLE users ADD COLUMN nick text NOT NULL",)),
    Case("adding-foreign-key-constraint",
         ("ALTER TABLE todos ADD CONSTRAINT todos_owner_fkey FOREIGN KEY (owner_id) REFERENCES users (id)",)),
    Case("adding-serial-primary-key-field", ("ALTER TABLE events ADD PRIMARY KEY (id)",)),
    Case("changing-column-type", ("ALTER TABLE users ALTER COLUMN id TYPE bigint",)),
    Case("constraint-missing-not-valid", ("ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0)",)),
    Case("constraint-missing-not-valid", ("ALTER TABLE users ADD CONSTRAINT c CHECK (age >= 0) NOT VALID",
                                          "ALTER TABLE users VALIDATE CONSTRAINT c")),
    Case("disallowed-unique-constraint", ("ALTER TABLE users ADD CONSTRAINT users_handle_key UNIQUE (handle)",)),
    Case("renaming-column", ("ALTER TABLE users RENAME COLUMN full_name TO name",)),
    Case("renaming-table", ("ALTER TABLE users RENAME TO accounts",)),
    Case("require-concurrent-index-creation", ("CREATE INDEX users_phone_idx ON users (phone)",)),
    Case("require-concurrent-index-deletion", ("DROP INDEX users_phone_idx",)),
    Case("prefer-bigint-over-int", ("ALTER TABLE users ADD COLUMN visits integer",)),
    Case("prefer-text-field", ("ALTER TABLE users ADD COLUMN nickname varchar(40)",)),
    Case("prefer-timestamptz", ("ALTER TABLE users ADD COLUMN seen_at timestamp",)),
    Case("ban-char-field", ("ALTER TABLE users ADD COLUMN country char(2)",)),
    Case("prefer-robust-stmts", ("ALTER TABLE users ADD COLUMN bio text",), transactional=False),
    Case("transaction-nesting", ("UPDATE users SET visits = 0 WHERE id = 1", "COMMIT")),
    Case("destructive-statement", ("DROP TABLE todos",)),
    Case("destructive-statement", ("ALTER TABLE users DROP COLUMN phone",)),
    Case("destructive-statement", ("TRUNCATE todos",)),
    Case("concurrent-in-transaction", ("CREATE INDEX CONCURRENTLY users_phone_idx ON users (phone)",)),
    Case("missing-down", ("ALTER TABLE users ADD COLUMN bio text",), kind="no-down"),
    Case("batched-key-without-index",
         ("UPDATE users SET visits = 0 WHERE created_at > %(after)s AND created_at <= %(upto)s",), kind="batched"),
    Case("rewrite-on-large-table", ("VACUUM FULL users",), transactional=False),
    # Squawk rules dbbasic does not port, for the summary
    Case("(squawk) ban-drop-not-null", ("ALTER TABLE users ALTER COLUMN email DROP NOT NULL",)),
    Case("(squawk) prefer-bigint-over-smallint", ("ALTER TABLE users ADD COLUMN rank smallint",)),
    Case("(squawk) prefer-identity", ("CREATE TABLE tags (id bigserial PRIMARY KEY, name text)",)),
    Case("(squawk) ban-truncate-cascade", ("TRUNCATE todos CASCADE",)),
)


@dataclass
class Statement:
    source: str
    """Where it comes from: `example migrations/recount up.sql`, `bad 3: adding-required-field`."""
    sql: str
    mode: str
    """How the runner runs its step: "ddl" (a transaction with timeouts), "check" (a transaction), "online"."""
    generated: bool
    step: str = ""
    header: int = 0
    """0-based line of the step's `-- step` comment."""
    down: bool = False
    on_new_table: bool = False
    """An ALTER TABLE or CREATE INDEX of a table created in the same plan."""
    first_line: int = 0
    last_line: int = 0
    """0-based lines of the statement in the file Squawk reads."""
    squawk: list[dict[str, Any]] = field(default_factory=list)
    dbbasic: list[str] = field(default_factory=list)


@dataclass
class SqlFile:
    text: str
    statements: list[Statement]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squawk", help="the squawk binary (default: `squawk` on PATH)")
    parser.add_argument("--all", action="store_true", help="list statements neither tool reports too")
    parser.add_argument("--as-written", action="store_true",
                        help="give Squawk the files as written, without the runner's transactions and timeouts")
    args = parser.parse_args()
    squawk = args.squawk or shutil.which("squawk")
    if not squawk or not Path(squawk).exists():
        print("squawk not found: install it with `pip install squawk-cli` (into any virtualenv), then run "
              "this again with it on PATH or with --squawk PATH", file=sys.stderr)
        return 2
    version = subprocess.run([squawk, "--version"], capture_output=True, text=True, check=False).stdout.strip()

    with tempfile.TemporaryDirectory(prefix="lint-vs-squawk-") as tmp:
        work = Path(tmp)
        wide = work / "wide"
        shutil.copytree(REPO / "tests" / "fixtures" / "wide", wide)
        api.plan(wide)
        files = generated_files("example", REPO) + generated_files("wide", wide) + bad_files()
        for n, sql_file in enumerate(files):
            if not run_squawk(squawk, sql_file, work / f"{n}.sql", args.as_written):
                return 1

    statements = [s for f in files for s in f.statements]
    how = "as written" if args.as_written else "as the runner runs them (transactions and timeouts added)"
    print(f"# dbbasic's linter against Squawk ({version}), files {how}\n")
    print(f"{len(statements)} statements: {sum(s.generated for s in statements)} from generated/ "
          f"(example project and tests/fixtures/wide, postgres) and {sum(not s.generated for s in statements)} "
          f"known-bad. The known-bad cases assume `users` has {BAD_ROWS['users']:,} rows and indexes on "
          f"{', '.join(f'{t}.{c}' for t, c in sorted(BAD_INDEXED))}.\n")
    print_statements(statements, args.all, args.as_written)
    print_summary(statements, args.as_written)
    print_generated(statements, args.as_written)
    return 0


# -- the corpus ------------------------------------------------------------------------------------------------


def generated_files(project: str, root: Path) -> list[SqlFile]:
    """up.sql and down.sql of every PostgreSQL plan under root/generated, statement by statement."""
    generated = root / "generated"
    files = []
    for (plan_id, dialect), directory in artifacts.on_disk(generated).items():
        if dialect != "postgres":
            continue
        plan = artifacts.read_plan(generated, plan_id, dialect)
        context = lint_context(plan)
        for name in ("up.sql", "down.sql"):
            down = name == "down.sql"
            text = (directory / name).read_text(encoding="utf-8")
            statements = []
            steps = list(reversed(plan.steps)) if down else list(plan.steps)
            for step in steps:
                sqls = _down(step) if down else _up(step)
                found = dbbasic_findings(step, sqls, context) if not down else [[] for _ in sqls]
                section = _section(text, step.id)
                for sql, codes in zip(sqls, found, strict=True):
                    statements.append(Statement(f"{project} {plan_id} {name}", sql, _mode(step), True, step.id,
                                                text.count("\n", 0, section) - 1, down, _target(sql) in
                                                context.created_tables, dbbasic=codes))
                _locate(text, section, statements[len(statements) - len(sqls):])
            files.append(SqlFile(text, statements))
    return files


def bad_files() -> list[SqlFile]:
    files = []
    for n, case in enumerate(BAD, start=1):
        step: Step
        if case.kind == "batched":
            step = BatchedStep("1-batched", "users", "created_at", case.sql, down=("SELECT 1",))
        elif case.transactional:
            step = DdlStep("1-sql", case.sql, None if case.kind == "no-down" else ("SELECT 1",))
        else:
            step = OnlineDdlStep("1-sql", case.sql, ("SELECT 1",))
        plan = Plan("bad", case.rule, "postgres", Source("bench", 1, ""), "explicit", 1, (step,))
        context = lint_context(plan, indexed=BAD_INDEXED, table_rows=BAD_ROWS)
        found = dbbasic_findings(step, case.sql, context)
        text = f"-- step {step.id}\n" + "".join(f"{sql};\n" for sql in case.sql)
        statements = [Statement(f"bad {n}: {case.rule}", sql, _mode(step), False, step.id, 0, first_line=i + 1,
                                last_line=i + 1, dbbasic=codes)
                      for i, (sql, codes) in enumerate(zip(case.sql, found, strict=True))]
        files.append(SqlFile(text, statements))
    return files


def _up(step: Step) -> tuple[str, ...]:
    if isinstance(step, CheckStep):
        return (step.sql,)
    return step.up if isinstance(step, (DdlStep, OnlineDdlStep, BatchedStep)) else ()


def _down(step: Step) -> tuple[str, ...]:
    return (step.down or ()) if isinstance(step, SQL_STEPS) else ()


def _target(sql: str) -> str:
    """The table an ALTER TABLE or CREATE INDEX changes, or ""."""
    tree = POSTGRES.parse(sql)
    table = tree.this if isinstance(tree, exp.Alter) else None
    if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index):
        table = tree.this.args.get("table")
    return str(table.name) if isinstance(table, exp.Table) else ""


def _named_concurrent_index(sql: str) -> bool:
    tree = POSTGRES.parse(sql)
    return (isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index) and bool(tree.args.get("concurrently"))
            and tree.this.args.get("this") is not None)


def _mode(step: Step) -> str:
    return "online" if isinstance(step, OnlineDdlStep) else "check" if isinstance(step, CheckStep) else "ddl"


def _section(text: str, step_id: str) -> int:
    """Where the step's statements start in up.sql or down.sql (after its `-- step` line)."""
    marker = f"\n-- step {step_id}\n"
    at = text.find(marker)
    return at + len(marker) if at >= 0 else len(text)


def _locate(text: str, start: int, statements: list[Statement]) -> None:
    """Set the lines of each statement, as render.py writes it (`Dialect.pretty`, then `;`)."""
    at = start
    for statement in statements:
        rendered = POSTGRES.pretty(statement.sql) + ";"
        found = text.find(rendered, at)
        if found < 0:
            raise SystemExit(f"cannot find {statement.sql[:60]!r} in {statement.source}: has render.py changed?")
        statement.first_line = text.count("\n", 0, found)
        statement.last_line = statement.first_line + rendered.count("\n")
        at = found + len(rendered)


def dbbasic_findings(step: Step, statements: tuple[str, ...], context: LintContext) -> list[list[str]]:
    """The rule codes each statement adds when the step is linted one statement more at a time (so a rule
    that looks at a statement after another one, like VALIDATE after ADD, counts for the later one)."""
    def codes(upto: int) -> Counter[str]:
        if isinstance(step, CheckStep):
            part: Step = replace(step, sql=statements[0])
        elif isinstance(step, (DdlStep, OnlineDdlStep, BatchedStep)):
            part = replace(step, up=statements[:upto])
        else:
            return Counter()
        return Counter(f.rule for rule in RULES for f in rule.check(part, context))

    before: Counter[str] = Counter()  # a rule about the whole step (missing-down) counts for its first statement
    result = []
    for n in range(1, len(statements) + 1):
        now = codes(n)
        result.append(sorted((now - before).keys()))
        before = now
    return result


# -- Squawk ----------------------------------------------------------------------------------------------------


def run_squawk(squawk: str, sql_file: SqlFile, path: Path, as_written: bool) -> bool:
    """Squawk's findings on each statement of the file, read as the runner runs it (or as written)."""
    names: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        return names.setdefault(match.group(1), f"${len(names) + 1}")

    text = sql_file.text if as_written else _as_run(sql_file)
    path.write_text(re.sub(r"%\((\w+)\)s", placeholder, text), encoding="utf-8")
    command = [squawk, "--reporter=json", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        reports: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        print(f"squawk failed ({' '.join(command)}): {done.stderr.strip() or done.stdout.strip()}", file=sys.stderr)
        return False
    for report in reports:
        line = int(report["line"])
        # a finding on a line between statements (a `-- step` line, which then holds BEGIN): the next statement's
        owner = next((s for s in sql_file.statements if line <= s.last_line), None)
        if owner is None:
            print(f"a Squawk finding outside every statement: {report}", file=sys.stderr)
        else:
            owner.squawk.append(report)
    return True


def _as_run(sql_file: SqlFile) -> str:
    """The file with each transactional step in BEGIN ... COMMIT, on the lines it already has."""
    lines = sql_file.text.split("\n")
    steps: dict[tuple[str, int], list[Statement]] = {}
    for statement in sql_file.statements:
        steps.setdefault((statement.step, statement.header), []).append(statement)
    for (_, header), statements in steps.items():
        mode = statements[0].mode
        if mode == "online":
            continue  # outside a transaction, without timeouts, up and down alike
        lines[header] = (SETTINGS if mode == "ddl" else "BEGIN; ") + lines[header]
        lines[statements[-1].last_line] += " COMMIT;"
    return "\n".join(lines)


# -- the comparison --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    both: tuple[str, ...]
    """Squawk rules both tools report (dbbasic under its own code)."""
    only_squawk: tuple[str, ...]
    only_dbbasic: tuple[str, ...]
    agree: str
    """"yes", "by design" (every difference explained), or "no"."""


def verdict(statement: Statement, as_written: bool) -> Verdict:
    squawk = {r["rule_name"] for r in statement.squawk}
    covered = {name for code in statement.dbbasic for name in SQUAWK_NAMES.get(code, ())}
    both = tuple(sorted(squawk & covered))
    only_squawk = tuple(sorted(squawk - covered))
    only_dbbasic = tuple(sorted(c for c in statement.dbbasic if not set(SQUAWK_NAMES.get(c, ())) & squawk))
    if not only_squawk and not only_dbbasic:
        agree = "yes"
    elif all(_by_design(statement, name, as_written) for name in only_squawk) and all(
            not SQUAWK_NAMES.get(code) for code in only_dbbasic):
        agree = "by design"
    else:
        agree = "no"
    return Verdict(both, only_squawk, only_dbbasic, agree)


def _by_design(statement: Statement, rule: str, as_written: bool) -> str:
    """Why a Squawk finding dbbasic does not make is deliberate, or ""."""
    if as_written and statement.mode != "online" and rule in AS_WRITTEN and not (
            statement.on_new_table and rule in LOCKING):
        return AS_WRITTEN[rule]
    if statement.down:
        return DOWN
    if statement.on_new_table and rule in LOCKING:
        return CREATED
    return RERUN if rule == "prefer-robust-stmts" and _named_concurrent_index(statement.sql) else ""


def _cell(values: Iterable[str]) -> str:
    return ", ".join(values) or "-"


def _sql_cell(sql: str) -> str:
    text = " ".join(sql.split())
    return "`" + (text[:57] + "..." if len(text) > 60 else text).replace("|", "\\|") + "`"


def _dbbasic_cell(statement: Statement) -> str:
    squawk = {r["rule_name"] for r in statement.squawk}
    cells = []
    for code in statement.dbbasic:
        names = [n for n in SQUAWK_NAMES.get(code, ()) if n in squawk and n != code]
        cells.append(f"{code} (= {', '.join(names)})" if names else code)
    return _cell(cells) if not statement.down else "(down: not linted)"


def print_statements(statements: list[Statement], everything: bool, as_written: bool) -> None:
    """One row per statement; statements in a row of the same file that both tools judge alike share a row."""
    print("## Statement by statement\n")
    print("| where | statement | Squawk | dbbasic | agree |")
    print("|---|---|---|---|---|")
    rows: list[tuple[tuple[str, ...], list[Statement]]] = []
    for statement in statements:
        if not everything and not statement.squawk and not statement.dbbasic:
            continue
        squawk = ", ".join(sorted({r["rule_name"] for r in statement.squawk}))
        key = (statement.source, squawk, _dbbasic_cell(statement), verdict(statement, as_written).agree)
        if rows and rows[-1][0] == key:
            rows[-1][1].append(statement)
        else:
            rows.append((key, [statement]))
    for (source, squawk, dbbasic, agree), group in rows:
        where = source
        if group[0].generated:
            where += ":" + ", ".join(str(s.first_line + 1) for s in group[:3]) + (", ..." if len(group) > 3 else "")
        more = f" and {len(group) - 1} more like it" if len(group) > 1 else ""
        print(f"| {where} | {_sql_cell(group[0].sql)}{more} | {squawk or '-'} | {dbbasic} | {agree} |")
    silent = sum(1 for s in statements if not s.squawk and not s.dbbasic)
    if silent and not everything:
        print(f"\nNot listed (`--all` lists them): {silent} statements neither tool reports anything on.")
    print()


def print_summary(statements: list[Statement], as_written: bool) -> None:
    both: Counter[str] = Counter()
    only_squawk: Counter[str] = Counter()
    only_dbbasic: Counter[str] = Counter()
    for statement in statements:
        v = verdict(statement, as_written)
        both.update(v.both)
        only_squawk.update(v.only_squawk)
        only_dbbasic.update(v.only_dbbasic)
    verdicts = Counter(verdict(s, as_written).agree for s in statements)
    silent = sum(1 for s in statements if not s.squawk and not s.dbbasic)
    print("## Summary\n")
    print(f"Statements: {verdicts['yes']} agree (including {silent} where neither reports anything), "
          f"{verdicts['by design']} differ by design, {verdicts['no']} differ.\n")
    print("| rule (Squawk's name; dbbasic's where it has no counterpart) | both | only Squawk | only dbbasic |")
    print("|---|---:|---:|---:|")
    names = sorted(set(both) | set(only_squawk) | set(only_dbbasic))
    for name in names:
        print(f"| {name} | {both[name]} | {only_squawk[name]} | {only_dbbasic[name]} |")
    caught_by_both = sorted(n for n in names if both[n])
    squawk_only = sorted(n for n in names if only_squawk[n] and not both[n])
    dbbasic_only = sorted(n for n in names if only_dbbasic[n] and not both[n])
    print(f"\n- Both catch: {_cell(caught_by_both)}.")
    print(f"- Only Squawk: {_cell(squawk_only)}.")
    print(f"- Only dbbasic: {_cell(dbbasic_only)}.")
    partly = sorted(n for n in names if both[n] and (only_squawk[n] or only_dbbasic[n]))
    if partly:
        print(f"- Both, but not on every statement: {_cell(partly)} (see the table).")
    print()


def print_generated(statements: list[Statement], as_written: bool) -> None:
    print("## Squawk on dbbasic's generated SQL\n")
    reports = [(s, r) for s in statements if s.generated for r in s.squawk]
    if not reports:
        print("None: Squawk reports nothing on the generated SQL.")
        return
    grouped: dict[tuple[str, str, str, str], list[int]] = {}
    for statement, report in reports:
        rule = report["rule_name"]
        agree = rule in {n for c in statement.dbbasic for n in SQUAWK_NAMES.get(c, ())}
        why = _by_design(statement, rule, as_written) or (
            "dbbasic reports it too (plan.md)" if agree else "**not acknowledged**: " + report["message"])
        key = (statement.source, rule, "reports it" if agree else "-", why)
        grouped.setdefault(key, []).append(int(report["line"]) + 1)
    print("| where (lines) | Squawk rule | dbbasic | why it is there |")
    print("|---|---|---|---|")
    for (source, rule, dbbasic, why), lines in grouped.items():
        at = ", ".join(map(str, lines[:4])) + (f", ... ({len(lines)})" if len(lines) > 4 else "")
        print(f"| {source} ({at}) | {rule} | {dbbasic} | {why} |")
    counts = Counter(r["rule_name"] for _, r in reports)
    unexplained = sum(1 for (_, _, _, why) in grouped if why.startswith("**not"))
    print(f"\n{len(reports)} findings: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
          + f"; {unexplained} kinds not acknowledged.")


if __name__ == "__main__":
    sys.exit(main())
