"""The planner's dry run: a proposed plan runs for real on a scratch database before it is accepted.

    result = dry_run(plan, specs.data, scratch_url=os.environ.get(SCRATCH_URL))
    if not result.passed:
        ...  # result.reasons: "step 3 (check): on the sample rows the query returned 4, expected 0; ..."
    result.note  # "ran on a scratch SQLite file with 200 sample rows per table; 1 check passed; rolled back cleanly"

The scratch database is made by the data model's own schema plan and filled with invented rows (samples.py:
nothing is read from any target). Then the plan runs through the runner, as `apply` would run it: its `check`
steps are evaluated, its manual steps count as done (they are a person's, and do nothing to the database).
Then it is rolled back through every step's `down`, and each `down` must leave the sample tables exactly as
they were before its step: every column, every row, every value.

- SQLite: a file in a temporary directory, deleted afterwards.
- PostgreSQL: a schema of its own in the database `scratch_url` names, dropped afterwards. Not one transaction
  rolled back at the end: the runner commits each step (and CREATE INDEX CONCURRENTLY cannot run inside a
  transaction), and the point is to run the real runner. Its connection sees only that schema (search_path,
  set as a connection option), so nothing the plan does reaches the database's own tables.
  Without `scratch_url`, PostgreSQL plans are not dry-run, and the note says so.

A failure is a reason naming the step the way the guard does ("step N (kind): ..."), with the database's own
message (redacted) and what to do, to be sent back to the model.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbbasic.errors import ApplyError, DbbasicError
from dbbasic.generators.schema import compile_data_model
from dbbasic.plan.model import SQL_STEPS, CheckStep, ManualStep, Plan, Step
from dbbasic.planner.samples import CannotSample, sample_rows
from dbbasic.runner import history
from dbbasic.runner.apply import RunOptions, apply_plan
from dbbasic.runner.connect import Database, PostgresDatabase, SqliteDatabase, redact
from dbbasic.runner.events import Event
from dbbasic.runner.introspect import describe_difference, live_fingerprint
from dbbasic.runner.rollback import rollback_plan
from dbbasic.specs.model import DataModel
from dbbasic.sql.schema_state import Fingerprint

SCRATCH_URL = "DBBASIC_SCRATCH_URL"
"""The environment variable naming a PostgreSQL database where dry runs may create (and drop) a scratch schema."""
NO_SCRATCH = (f"not dry-run: set {SCRATCH_URL} to a PostgreSQL database dbbasic may create a scratch schema in")
SCHEMA_PREFIX = "dbbasic_scratch_"
"""The scratch schemas' names start so; a random suffix keeps concurrent dry runs apart."""

_STEP_WORDS = {"ddl": "sql", "online_ddl": "sql"}
"""Plan step kinds as an answer spells them (the guard's words)."""
# What to do, after each kind of failure.
_ON_EVERY_ROW = ("make it work on every row the data model allows: NULL where a column allows it, empty and blank "
                "text, names with accents, one word or spaces around them")
_AS_CHECKED = ("make the steps before it leave every row as the check expects (rows with NULL, empty or odd values "
              "too), or correct the check")
_UNDO = "write a `down` that undoes the step on every row"
_RESTORE = ("make its `down` restore every column and value exactly as they were before the step (keep the old values "
           "in a column of their own when the change cannot be reversed)")
_ADD_DOWN = "add `down:` with the statements that undo it"


@dataclass(frozen=True)
class DryRun:
    dialect: str
    ran: bool
    """False when no scratch database is available for this dialect (the note says why)."""
    reasons: tuple[str, ...]
    """Why the plan failed on the scratch database, each naming the step; empty when it passed."""
    note: str
    """One line for plan.md: where it ran and what it showed, or why it did not run."""

    @property
    def passed(self) -> bool:
        """Nothing refuses the plan: it ran cleanly, or could not run at all (which the note says)."""
        return not self.reasons


def dry_run(plan: Plan, model: DataModel, *, scratch_url: str | None = None, rows: int = 200) -> DryRun:
    """Run `plan` on a scratch database of its dialect built from `model` with `rows` invented rows per table,
    evaluate its checks, and roll it back."""
    try:
        samples = sample_rows(model, rows)
    except CannotSample as error:
        return DryRun(plan.dialect, False, (), f"not dry-run: {error}")
    scratch = _SCRATCHES[plan.dialect](scratch_url)
    if scratch is None:
        return DryRun(plan.dialect, False, (), NO_SCRATCH)
    failures = _failures()
    try:
        with scratch as db:
            where = f"ran on {db.description} with {rows} sample rows per table"
            try:
                history.ensure(db)
                schema = compile_data_model(model, db.dialect)
                if schema is not None:
                    apply_plan(db, schema)
                fill(db, model, samples)
            except failures as error:
                return DryRun(plan.dialect, False, (), f"not dry-run: the scratch database could not be built: "
                                                       f"{_message(error)}")
            try:
                reasons = _exercise(db, plan, list(samples))
            except failures as error:  # not a step's failure (those are reasons already): the runner's own
                reasons = [f"the dry run stopped: {_message(error)}"]
    except failures as error:  # opening or dropping the scratch database
        return DryRun(plan.dialect, False, (), f"not dry-run: {_message(error)}")
    if reasons:
        return DryRun(plan.dialect, True, tuple(reasons),
                      f"{where}; refused for {len(reasons)} reason{'s' if len(reasons) > 1 else ''}")
    checks = sum(isinstance(s, CheckStep) for s in plan.steps)
    checked = f"{checks} check{'s' if checks > 1 else ''} passed" if checks else "no check steps"
    return DryRun(plan.dialect, True, (), f"{where}; {checked}; rolled back cleanly")


def fill(db: Database, model: DataModel, samples: dict[str, list[dict[str, Any]]]) -> None:
    """Insert sample rows into the tables of `model` (parents first, in one transaction). An `id` key is left to
    the database, which numbers a fresh table's rows 1..n as the samples do, and so goes on from n when a plan
    inserts rows."""
    with db.transaction():
        for name, rows in samples.items():
            table = model.table(name)
            assert table is not None, "samples are made from the model"
            columns = tuple(f.name for f in table.fields if f.type.name != "id")
            if rows:
                db.copy_rows(name, columns, [tuple(row[c] for c in columns) for row in rows])


def _exercise(db: Database, plan: Plan, tables: list[str]) -> list[str]:
    """Apply, then roll back, the plan on the filled scratch database: why it failed, each naming its step."""
    watch = _Watch(db, tables)
    manual = frozenset(f"{plan.id}:{s.id}" for s in plan.steps if isinstance(s, ManualStep))
    reasons = []
    try:
        apply_plan(db, plan, RunOptions(confirmed=manual, emit=watch.before_step))
    except ApplyError as error:
        checked = isinstance(plan.step(error.step_id), CheckStep) and error.__cause__ is None
        reasons.append(_reason(plan, error.step_id, "on the sample rows " + ("" if checked else "it fails: ")
                               + _step_message(plan, error), _AS_CHECKED if checked else _ON_EVERY_ROW))
    irreversible = [s for s in plan.steps if isinstance(s, SQL_STEPS) and s.down is None]
    if irreversible:  # rollback_plan refuses the whole plan: name each step
        return reasons + [_reason(plan, s.id, "it has no `down`, so rolling back cannot undo it", _ADD_DOWN)
                          for s in irreversible]
    try:
        rollback_plan(db, plan, history.records(db), emit=watch.after_undo)
    except ApplyError as error:
        reasons.append(_reason(plan, error.step_id, f"its `down` fails on the sample rows: "
                                                    f"{_step_message(plan, error)}", _UNDO))
    return reasons + [_reason(plan, step_id, f"rolling back left {difference}", _RESTORE)
                      for step_id, difference in watch.differences]


@dataclass(frozen=True)
class _Contents:
    shapes: Fingerprint
    rows: dict[str, Counter[tuple[str, ...]]]
    """Table -> each row as the repr of its values (which tells 1, 1.0 and '1' apart), counted."""


class _Watch:
    """The sample tables before each step runs, compared with what rolling that step back leaves: a `down` that
    does not restore them is named. Only the first found (steps are undone last first): what it left shows again
    at every earlier step."""

    def __init__(self, db: Database, tables: list[str]) -> None:
        self.db, self.tables = db, tables
        self.before: dict[str, _Contents] = {}
        self.differences: list[tuple[str, str]] = []  # (step id, "users different: ...")

    def before_step(self, event: Event) -> None:
        if event.event == "step_started" and event.step_id is not None:
            self.before[event.step_id] = self._contents()

    def after_undo(self, event: Event) -> None:
        if event.event == "step_finished" and event.step_id in self.before and not self.differences:
            before, after = self.before[event.step_id], self._contents()
            self.differences = [(event.step_id, f"{table} different: {what}")
                                for table in self.tables if (what := _difference(table, before, after))]

    def _contents(self) -> _Contents:
        shapes = live_fingerprint(self.db, self.tables)
        q = self.db.dialect.quote
        rows = {table: Counter(tuple(map(repr, row)) for row in self.db.query(
                    f"SELECT {', '.join(q(str(c[0])) for c in columns)} FROM {q(table)}"))
                for table, columns in shapes.items() if columns}
        return _Contents(shapes, rows)


def _difference(table: str, before: _Contents, after: _Contents) -> str:
    """What differs in `table` between two contents, in words ('' when nothing does)."""
    shape = describe_difference({table: before.shapes[table]}, {table: after.shapes[table]})
    if shape:
        return "; ".join(line.removeprefix(f"table {table}: ") for line in shape)
    was, now = before.rows.get(table, Counter()), after.rows.get(table, Counter())
    lost, new = sorted((was - now).elements()), sorted((now - was).elements())
    if not lost and not new:
        return ""
    if len(lost) == len(new):
        became = next((row for row in new if row[0] == lost[0][0]), new[0])  # the same key, most likely
        return (f"{len(lost)} row{'s are' if len(lost) > 1 else ' is'} not as before, e.g. {_show(lost[0])} is now "
                f"{_show(became)}")
    return "; ".join(f"{len(found)} row{'s' if len(found) > 1 else ''} {what}, e.g. {_show(found[0])}"
                     for found, what in ((lost, "missing"), (new, "that were not there")) if found)


def _show(row: tuple[str, ...]) -> str:
    return f"({', '.join(row)})"


def _reason(plan: Plan, step_id: str, what: str, advice: str) -> str:
    """A reason as the guard words one: the step's 1-based place and kind, what happened, what to do."""
    number, step = next((n, s) for n, s in enumerate(plan.steps, start=1) if s.id == step_id)
    return f"step {number} ({_kind(step)}): {what}; {advice}"


def _kind(step: Step) -> str:
    return _STEP_WORDS.get(step.kind, step.kind)


def _step_message(plan: Plan, error: ApplyError) -> str:
    """The database's message for a failed step (redacted, one line), without the runner's "plan ..., step ..."."""
    if error.__cause__ is not None:
        return _message(error.__cause__)
    head = rf"^(rollback of )?plan {re.escape(plan.id)}, (step|check) {re.escape(error.step_id)}( failed)?: "
    return re.sub(head, "", str(error))


def _message(error: BaseException) -> str:
    return redact(" ".join(str(error).split())) or type(error).__name__


def _failures() -> tuple[type[Exception], ...]:
    """What a dry run turns into a reason or a note: dbbasic's errors and the drivers'."""
    try:
        import psycopg
    except ImportError:
        return DbbasicError, sqlite3.Error
    return DbbasicError, sqlite3.Error, psycopg.Error


@contextmanager
def _scratch_file() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="dbbasic-dry-run-") as directory:
        db = SqliteDatabase(Path(directory) / "scratch.db", "a scratch SQLite file")
        try:
            yield db
        finally:
            db.close()


@contextmanager
def _scratch_schema(url: str) -> Iterator[Database]:
    """A connection that sees only a new schema of the database at `url`; the schema is dropped afterwards."""
    admin = PostgresDatabase(url, redact(url))
    q = admin.dialect.quote
    schema = SCHEMA_PREFIX + uuid.uuid4().hex[:12]
    try:
        admin.execute(f"CREATE SCHEMA {q(schema)}")
        try:
            db = PostgresDatabase(_only_schema(url, schema), "a scratch PostgreSQL schema")
            try:
                yield db
            finally:
                db.close()
        finally:
            admin.execute(f"DROP SCHEMA {q(schema)} CASCADE")
    finally:
        admin.close()


def _only_schema(url: str, schema: str) -> str:
    """The connection string of `url` with `schema` as the session's search_path (a connection option, so that
    connect.py needs nothing of its own; pg_catalog is searched first whatever the path says)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo  # PostgresDatabase(url) above proves psycopg is here

    params = conninfo_to_dict(url)
    params["options"] = f"{params.get('options') or ''} -c search_path={schema}".strip()
    return make_conninfo("", **params)


_SCRATCHES: dict[str, Callable[[str | None], AbstractContextManager[Database] | None]] = {
    "sqlite": lambda url: _scratch_file(),
    "postgres": lambda url: _scratch_schema(url) if url else None,
}
"""Dialect -> the scratch database a dry run uses, given the scratch URL; None when there is none."""
