"""Imports as plans, applied on SQLite and PostgreSQL (see `db_url`): given a messy file and rules, the table
holds exactly the rows expected, every other record is in the rejects file with its rule and reason, a
finished import adds nothing when run again, a killed one resumes where it stopped, and rollback removes
exactly the rows it loaded."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import write_project

from dbbasic import api
from dbbasic.errors import ApplyError, SpecError, StalePlan
from dbbasic.runner import history
from dbbasic.runner.apply import RunOptions, apply_plan
from dbbasic.runner.connect import connect, resolve_target
from dbbasic.runner.imports import ImportFiles
from dbbasic.specs.model import Project

DATA = """
data:
  users:
    fields:
      id: id
      email: {type: email, unique: true, required: true}
      full_name: text
      phone: phone
      organization: text
      signed_up: date
      plan: {type: enum, values: [free, pro], default: free, required: true}
"""
IMPORT = """
import:
  source:
    path: data/contacts.csv
  target:
    model: users
  rules:
    - "Trim whitespace"
    - "Map 'Company' field to 'Organization'"
    - "Normalize all phone numbers to E.164 (default region US)"
    - "Parse all date formats to ISO-8601"
    - "Skip duplicates (match by email)"
"""
# A semicolon-separated cp1252 export with a quoted newline, spaces around an email, a duplicate in
# another case, a record without an email, an invalid phone, an impossible date and a bad plan.
CONTACTS = (
    "Full Name;Email;Phone;Company;Signed Up;Plan\r\n"
    "Zoë Adams;zoe@example.com;(202) 555-0143;\"Acme;\r\nInc.\";2021-03-04;pro\r\n"
    "Bob Brown; BOB@example.com ;+44 20 7946 0958;;04/05/2021;\r\n"
    "Carla Cruz;Zoe@Example.com;202.555.0199;Other;March 4 2021;free\r\n"
    "Dan Doe;;202-555-0100;X;2021-01-01;free\r\n"
    "Eve Evans;eve@example.com;9999999999;Y;2021-02-01;free\r\n"
    "Fay Fox;fay@example.com;;Z;2021-02-30;free\r\n"
    "Gil Gray;gil@example.com;;;2021-06-07;gold\r\n"
)
LOADED = [  # (email, full_name, phone, organization, signed_up, plan)
    ("zoe@example.com", "Zoë Adams", "+12025550143", "Acme;\r\nInc.", "2021-03-04", "pro"),
    ("BOB@example.com", "Bob Brown", "+442079460958", None, "2021-04-05", "free"),  # trimmed, case kept
]
REJECTED = [  # (line, rule, reason starts with); the first record spans lines 2 and 3 (a quoted line break)
    ("5", "skip_duplicates#5", "duplicate of line 2"),
    ("6", "model", "email: required, and the record has no value for it"),
    ("7", "normalize_phone#3", "phone: '9999999999': it is not a valid number"),
    ("8", "parse_dates#4", "signed_up: '2021-02-30' is not a date"),
    ("9", "model", "plan: 'gold' is not one of"),
]


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite:") else "postgres"


def project(tmp_path: Path, contacts: str = CONTACTS, rules: str = IMPORT, files: dict[str, bytes] | None = None
            ) -> Path:
    """A project importing data/contacts.csv (`contacts`, written in cp1252) or other `files`, compiled."""
    root = write_project(tmp_path / "p", {"specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
                                          "specs/data.yaml": DATA, "specs/imports/contacts.yaml": rules})
    (root / "data").mkdir()
    for name, content in (files or {"contacts.csv": contacts.encode("cp1252")}).items():
        (root / "data" / name).write_bytes(content)
    api.plan(root)
    return root


def query(url: str, root: Path, sql: str) -> list[tuple[Any, ...]]:
    db = connect(resolve_target(Project(), url, root), root)
    try:
        return [tuple(str(v) if v is not None and not isinstance(v, (int, str)) else v for v in row)
                for row in db.query(sql)]
    finally:
        db.close()


def users(url: str, root: Path) -> list[tuple[Any, ...]]:
    return query(url, root, "SELECT email, full_name, phone, organization, signed_up, plan FROM users ORDER BY id")


def rejects(root: Path, url: str) -> list[list[str]]:
    reports = api.import_reports(root, resolve_target(Project(), url, root))
    with (reports / "imports" / "contacts.rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_the_table_gets_the_good_rows_and_each_other_record_is_rejected_with_its_reason(tmp_path: Path,
                                                                                       db_url: str) -> None:
    root = project(tmp_path)
    result = api.apply(root, db_url, require_approval=False)
    assert [(s.plan_id, s.status, s.rows, s.expected) for s in result.steps][-1] == (
        "imports/contacts", "applied", 2, 7)
    assert users(db_url, root) == LOADED
    header, *found = rejects(root, db_url)
    assert header == ["line", "rule", "reason", "record"]
    assert [(line, rule) for line, rule, _, _ in found] == [(line, rule) for line, rule, _ in REJECTED]
    for (_, _, reason, _), (_, _, expected) in zip(found, REJECTED, strict=True):
        assert reason.startswith(expected), reason
    assert found[0][3] == "Carla Cruz;Zoe@Example.com;202.555.0199;Other;March 4 2021;free"  # as in the file


def test_decimal_values_are_loaded_exactly(tmp_path: Path, db_url: str) -> None:
    root = write_project(tmp_path / "p", {
        "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
        "specs/data.yaml": "data:\n  products:\n    fields:\n      id: id\n      price: decimal(10,2)\n",
        "specs/imports/products.yaml": "import:\n  source: {path: data/p.csv}\n  target: {model: products}\n",
        "data/p.csv": "price\n12.5\n3\n-0.01\n"})
    api.plan(root)
    api.apply(root, db_url, require_approval=False)
    assert [row[0] for row in query(db_url, root, "SELECT price FROM products ORDER BY id")] == (
        ["12.5", 3, "-0.01"] if db_url.startswith("sqlite") else ["12.50", "3.00", "-0.01"])


def test_running_a_finished_import_again_adds_nothing(tmp_path: Path, db_url: str) -> None:
    root = project(tmp_path)
    api.apply(root, db_url, require_approval=False)
    again = api.apply(root, db_url, require_approval=False)
    assert again.steps == []
    assert users(db_url, root) == LOADED


def test_duplicates_of_rows_already_in_the_table_are_skipped_and_rollback_removes_only_the_import(
        tmp_path: Path, db_url: str) -> None:
    root = project(tmp_path)
    api.apply(root, db_url, ["schema"], require_approval=False)
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        with db.transaction():
            db.execute("INSERT INTO users (email, full_name) VALUES ('  bob@EXAMPLE.com', 'Robert, before')")
    finally:
        db.close()
    api.apply(root, db_url, require_approval=False)
    emails = [row[0] for row in users(db_url, root)]
    assert emails == ["  bob@EXAMPLE.com", "zoe@example.com"]
    bob = [r for r in rejects(root, db_url)[1:] if r[0] == "4"]
    assert bob[0][1:3] == ["skip_duplicates#5", "duplicate of a row already in users"]
    api.rollback(root, "imports/contacts", db_url, require_approval=False)
    assert [row[:2] for row in users(db_url, root)] == [("  bob@EXAMPLE.com", "Robert, before")]
    assert query(db_url, root, "SELECT count(*) FROM dbbasic_import_rows") == [(0,)]
    assert query(db_url, root, "SELECT count(*) FROM dbbasic_import_keys") == [(0,)]


def test_a_record_the_database_refuses_is_rejected_with_its_words_and_the_batch_goes_on(tmp_path: Path,
                                                                                        db_url: str) -> None:
    rules = IMPORT.replace('    - "Skip duplicates (match by email)"\n', "")
    contacts = ("Full Name;Email;Company\r\n" + "".join(f"N{n};u{n % 3}@example.com;C\r\n" for n in range(6)))
    root = project(tmp_path, contacts, rules)
    api.apply(root, db_url, require_approval=False)
    assert [row[:2] for row in users(db_url, root)] == [(f"u{n}@example.com", f"N{n}") for n in range(3)]
    found = rejects(root, db_url)[1:]
    assert [(line, rule) for line, rule, _, _ in found] == [("5", "database"), ("6", "database"), ("7", "database")]
    assert all("unique" in reason.lower() for _, _, reason, _ in found)


def test_on_error_stop_stops_at_the_first_refused_record(tmp_path: Path, db_url: str) -> None:
    root = project(tmp_path, rules=IMPORT.replace("import:\n", "import:\n  on_error: stop\n"))
    with pytest.raises(ApplyError, match=r"line 5 of data/contacts.csv: skip_duplicates#5: duplicate of line 2"):
        api.apply(root, db_url, require_approval=False)
    assert users(db_url, root) == []  # the batch rolled back whole


def test_a_source_changed_after_the_plan_was_compiled_is_refused(tmp_path: Path, db_url: str) -> None:
    root = project(tmp_path)
    [plan] = [p for p in api.plan(root).plans if p.id == "imports/contacts" and p.dialect == dialect_of(db_url)]
    (root / "data" / "contacts.csv").write_bytes(CONTACTS.replace("Zoë", "Zoe").encode("cp1252"))
    # apply recompiles the specs: the plan in generated/ (with the old digest) is stale.
    with pytest.raises(StalePlan):
        api.apply(root, db_url, require_approval=False)
    # and the runner itself refuses a plan whose file changed, whoever hands it the plan.
    db = connect(resolve_target(Project(), db_url, root), root)
    try:
        history.ensure(db)
        with pytest.raises(ApplyError, match=r"data/contacts.csv changed since the plan was compiled"):
            apply_plan(db, plan, RunOptions(files=ImportFiles(root, tmp_path / "reports")))
    finally:
        db.close()


def test_a_rule_nothing_understands_is_an_error_at_its_line_listing_what_is_understood(tmp_path: Path) -> None:
    rules = IMPORT.replace('    - "Skip duplicates (match by email)"\n',
                           '    - "Skip duplicates (match by email)"\n    - "Make the names prettier"\n')
    with pytest.raises(SpecError) as raised:
        project(tmp_path, rules=rules)
    [problem] = raised.value.problems
    assert (problem.file, problem.line, problem.code) == ("specs/imports/contacts.yaml", 12, "rule-not-understood")
    assert "'Make the names prettier'" in problem.message
    assert "normalize_phone:" in problem.hint and "skip_duplicates:" in problem.hint


def test_the_plan_says_how_the_file_is_read_where_each_column_goes_and_each_rule_as_understood(
        tmp_path: Path) -> None:
    root = project(tmp_path)
    text = (root / "generated" / "imports" / "contacts" / "sqlite" / "plan.md").read_text()
    assert '"delimiter": ";"' not in text and 'delimiter: ";"' in text and 'encoding: "cp1252"' in text
    assert "| `Company` | `organization` |" in text and "| `Full Name` | `full_name` |" in text
    assert '| 3 | Normalize all phone numbers to E.164 (default region US) | `normalize_phone` |' in text
    assert '"default_region": "US"' in text


def test_a_dry_run_previews_the_records_and_counts_each_rule_without_writing(tmp_path: Path) -> None:
    root = project(tmp_path)
    url = f"sqlite:///{tmp_path}/dry.db"
    result = api.apply(root, url, require_approval=False, dry_run=True, preview_rows=2)
    [preview] = result.previews
    assert (preview.records, preview.would_load) == (7, 2)
    assert preview.rejected == {"model": 2, "normalize_phone#3": 1, "parse_dates#4": 1, "skip_duplicates#5": 1}
    assert preview.samples[0]["line"] == 2
    assert sorted(preview.samples[0]["changes"]) == [
        ["email", "zoe@example.com", "zoe@example.com"], ["full_name", "Zoë Adams", "Zoë Adams"],
        ["organization", "Acme;\r\nInc.", "Acme;\r\nInc."], ["phone", "(202) 555-0143", "+12025550143"],
        ["plan", "pro", "pro"], ["signed_up", "2021-03-04", "2021-03-04"]]
    assert preview.counts.to_json()["rejected"] == {"normalize_phone#3": 1, "parse_dates#4": 1,
                                                    "skip_duplicates#5": 1}
    assert not (tmp_path / "dry.db").exists() or query(url, root, "SELECT count(*) FROM sqlite_master "
                                                                 "WHERE name = 'users'") == [(0,)]


def orphaned_workers() -> set[int]:
    """Worker processes (multiprocessing's spawn) whose parent is gone: adopted by init."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(line for line in status.read_text().splitlines() if line.startswith("PPid:"))
            command = (status.parent / "cmdline").read_bytes()
        except (OSError, StopIteration):
            continue  # gone meanwhile
        if ppid.split()[1] == "1" and b"spawn_main" in command:
            found.add(int(status.parent.name))
    return found


def test_kill_9_at_any_moment_neither_loses_nor_repeats_a_row_or_a_reject(tmp_path: Path, db_url: str) -> None:
    """40,000 records (every tenth rejected), transformed by worker processes, killed again and again."""
    lines = ["Full Name;Email;Phone;Company;Signed Up;Plan"]
    lines += [f"N{n};u{n}@example.com;{'(202) 555-' + f'{n % 10000:04}' if n % 10 else '12'};C;2021-01-01;free"
              for n in range(40_000)]
    root = project(tmp_path, "\r\n".join(lines) + "\r\n")
    api.apply(root, db_url, ["schema"], require_approval=False)
    before = orphaned_workers()
    rng_kills = 0
    for attempt in range(30):
        process = subprocess.Popen([sys.executable, "-m", "dbbasic.cli", "apply", "--project", str(root),
                                    "--target", db_url, "--no-approval", "--format", "json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "DBBASIC_IMPORT_WORKERS": "2"})
        assert process.stdout is not None
        for line in process.stdout:
            if '"batch"' in line and "imports/contacts" in line:
                break
        time.sleep(0.01 * (attempt % 5))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        state = query(db_url, root, "SELECT status FROM dbbasic_history WHERE plan_id = 'imports/contacts'")
        if state and state[0][0] == "applied":
            break
        rng_kills += 1
    assert rng_kills >= 3, "the kills should land inside the import"
    deadline = time.monotonic() + 10  # each worker sees its runner gone within a second or two
    while orphaned_workers() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert orphaned_workers() - before == set(), "the killed runners' workers exit too"
    api.apply(root, db_url, require_approval=False)
    assert query(db_url, root, "SELECT count(*), count(DISTINCT email) FROM users") == [(36_000, 36_000)]
    found = rejects(root, db_url)[1:]
    assert len(found) == 4_000 and len({r[0] for r in found}) == 4_000
    assert query(db_url, root, "SELECT count(*) FROM dbbasic_import_rows") == [(36_000,)]


def test_the_example_imports_load_the_same_rows_and_reject_the_same_records_on_both_databases(
        example: Path, db_url: str) -> None:
    api.apply(example, db_url, ["schema", "schema/2", "schema/3", "imports/contacts/crm", "imports/contacts/legacy"])
    assert query(db_url, example, "SELECT plan_id, rows_touched, rows_expected FROM dbbasic_history "
                                  "WHERE plan_id LIKE 'imports/%' ORDER BY plan_id") == [
        ("imports/contacts/crm", 203, 300), ("imports/contacts/legacy", 53, 80)]
    assert query(db_url, example, "SELECT count(*), count(DISTINCT lower(email)) FROM users") == [(256, 256)]
    assert query(db_url, example, "SELECT count(*) FROM users WHERE phone IS NOT NULL AND phone NOT LIKE '+%'") == [
        (0,)]
    reports = api.import_reports(example, resolve_target(Project(), db_url, example)) / "imports" / "contacts"
    by_rule: Counter[str] = Counter()
    for name in ("crm", "legacy"):
        with (reports / f"{name}.rejects.csv").open(encoding="utf-8", newline="") as handle:
            by_rule.update(f"{name} {rule.split('#')[0]}" for _, rule, _, _ in list(csv.reader(handle))[1:])
    assert by_rule == {"crm model": 4, "crm normalize_phone": 48, "crm parse_dates": 27, "crm skip_duplicates": 10,
                       "crm validate_email": 8, "legacy normalize_phone": 11, "legacy parse_dates": 9,
                       "legacy model": 2, "legacy skip_duplicates": 2, "legacy validate_email": 3}


def test_json_lines_are_imported_like_csv_and_a_line_that_is_not_json_is_rejected(tmp_path: Path,
                                                                                    db_url: str) -> None:
    lines = ('{"Full Name": "Zoë Adams", "Email": "zoe@example.com", "Phone": "(202) 555-0143", "Company": "Acme", '
             '"Signed Up": "2021-03-04", "Plan": "pro"}\n'
             '\n'
             '{"Full Name": "Bob", "Email": "bob@example.com", "Phone": null, "Company": {"name": "Nested"}, '
             '"Signed Up": "04/05/2021"}\n'
             'not json\n')
    root = project(tmp_path, rules=IMPORT.replace("contacts.csv", "contacts.jsonl"),
                   files={"contacts.jsonl": lines.encode()})
    api.apply(root, db_url, require_approval=False)
    assert users(db_url, root) == [
        ("zoe@example.com", "Zoë Adams", "+12025550143", "Acme", "2021-03-04", "pro"),
        ("bob@example.com", "Bob", None, '{"name":"Nested"}', "2021-04-05", "free")]
    [(line, rule, _, record)] = rejects(root, db_url)[1:]
    assert (line, rule, record) == ("4", "read", "not json")


def test_a_table_of_another_sqlite_database_is_imported_like_csv(tmp_path: Path, db_url: str) -> None:
    legacy = tmp_path / "legacy.db"
    with sqlite3.connect(legacy) as db:
        db.execute('CREATE TABLE people ("Full Name" TEXT, Email TEXT, Phone TEXT, Company TEXT, "Signed Up" TEXT, '
                   'Plan TEXT)')
        db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)", [
            ("Cy", "cy@example.com", "202-555-0111", "Old", "2020-01-02", "pro"),
            ("Di", "CY@example.com", None, None, "1/2/2020", None)])
    db.close()
    root = project(tmp_path, rules=IMPORT.replace("path: data/contacts.csv", "path: data/legacy.db\n    table: people"),
                   files={"legacy.db": legacy.read_bytes()})
    api.apply(root, db_url, require_approval=False)
    assert users(db_url, root) == [("cy@example.com", "Cy", "+12025550111", "Old", "2020-01-02", "pro")]
    [(line, rule, reason, _)] = rejects(root, db_url)[1:]
    assert (line, rule, reason) == ("2", "skip_duplicates#5", "duplicate of line 1")  # lines are rowids
