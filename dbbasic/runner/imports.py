"""Run an import step: the source read from where the last run stopped, each record mapped, ruled and cast
(over both cores for a big file), and loaded in batches, each committed with its checkpoint.

A batch is one transaction holding its rows, the record of which rows it loaded (so that rollback removes
exactly them), the match keys of the duplicate rule, and the checkpoint: the last source line done and how
long the rejects and notes files were. The files are written and synced before the commit, and cut back to
the checkpoint's length when a run resumes, so a kill -9 at any moment neither loses nor repeats a row or a
reject. A record a rule refuses goes to `<plan-id>.rejects.csv` with the rule and the reason; one the
database refuses (a constraint, a type) too, found by loading its batch again a row at a time; the import
goes on (unless the spec says `on_error: stop`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from dbbasic.errors import ApplyError
from dbbasic.importers import worker
from dbbasic.importers.digest import file_digest
from dbbasic.importers.pipeline import DEDUPE, Loaded, Pipeline, RuleCounts, label
from dbbasic.importers.rules.skip_duplicates import SEPARATOR
from dbbasic.importers.source import SourceFormat, SourceRow, read_rows
from dbbasic.plan.model import ImportStep, Plan
from dbbasic.runner import history
from dbbasic.runner.connect import Database
from dbbasic.runner.events import Emit, Event

KEYS, ROWS, STAGING = ImportStep.KEYS_TABLE, ImportStep.ROWS_TABLE, "dbbasic_import_staging"
BATCH_KEYS = "dbbasic_import_batch_keys"
"""A batch's match keys, looked up in the keys table by a join (an `= ANY(array)` of 5,000 keys gets a
generic plan on PostgreSQL once the statement is prepared, and then compares every key with every key)."""
LINE = "dbbasic_line"
"""The staging table's column that holds each row's source line."""
REFUSED = "database"
"""The rule a rejects file names when the database refused the row."""
_TABLES = (
    # The key leads with its plan and step, one column: a lookup is then an index probe whatever the statistics
    # say (with (plan_id, step_id, match_key), a table analyzed before the import scans the whole step).
    f"CREATE TABLE IF NOT EXISTS {KEYS} (match_key text PRIMARY KEY, plan_id text NOT NULL, step_id text NOT NULL, "
    "line bigint NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {ROWS} (plan_id text NOT NULL, step_id text NOT NULL, row_key text NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {ROWS}_step_idx ON {ROWS} (plan_id, step_id)",
)
PARALLEL_BYTES = 4 << 20
"""Files larger than this are transformed by worker processes (starting them costs about a second)."""
WORKERS = 2


@dataclass(frozen=True)
class ImportFiles:
    """Where an import finds its source (paths in a plan are relative to the project) and writes its reports."""

    project: Path
    reports: Path


def report_paths(reports: Path, plan_id: str) -> tuple[Path, Path]:
    """The rejects and notes files of a plan's import: `<reports>/<plan-id>.rejects.csv`, `.notes.csv`."""
    base = reports / plan_id
    return base.with_name(base.name + ".rejects.csv"), base.with_name(base.name + ".notes.csv")


@dataclass
class _Progress:
    """What the checkpoint holds: the last line done, the reports' lengths, the counts so far."""

    line: int = 0
    rejects: int = 0
    notes: int = 0
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    counts: RuleCounts = field(default_factory=RuleCounts)

    def to_json(self) -> str:
        return json.dumps({"line": self.line, "rejects": self.rejects, "notes": self.notes, "read": self.read,
                           "loaded": self.loaded, "rejected": self.rejected, "counts": self.counts.to_json()},
                          sort_keys=True)

    @classmethod
    def from_record(cls, record: history.StepRecord | None) -> _Progress:
        if record is None or not record.checkpoint:
            return cls()
        data = json.loads(record.checkpoint)
        return cls(data["line"], data["rejects"], data["notes"], data["read"], data["loaded"], data["rejected"],
                   RuleCounts.from_json(data["counts"]))


class _Report:
    """A CSV report appended batch by batch; `sync` makes what was written durable before a commit."""

    def __init__(self, path: Path, header: list[str], length: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = length == 0 or not path.exists()
        self.handle: TextIO = path.open("w" if fresh else "r+", encoding="utf-8", newline="")
        if not fresh:
            self.handle.truncate(length)  # what a killed run wrote after its last commit
            self.handle.seek(length)
        self.writer = csv.writer(self.handle)
        if fresh:
            self.writer.writerow(header)

    def write(self, row: list[Any]) -> None:
        self.writer.writerow(row)

    def sync(self) -> int:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        return self.handle.tell()

    def close(self) -> None:
        self.handle.close()


def run_import(db: Database, plan: Plan, step: ImportStep, record: history.StepRecord | None, emit: Emit,
               files: ImportFiles) -> tuple[int, int]:
    """Load the records not yet done; return (rows loaded, records read) over the whole step."""
    path = files.project / step.source
    if not path.is_file():
        raise ApplyError(f"plan {plan.id}, step {step.id}: the source {step.source} is not there", plan.id, step.id)
    if file_digest(path) != step.sha256:
        raise ApplyError(f"plan {plan.id}, step {step.id}: {step.source} changed since the plan was compiled "
                         "(its digest differs): run `dbbasic plan` and review the plan again", plan.id, step.id)
    fmt = source_format(step)
    pipeline = Pipeline(step.columns, step.types, step.rules)
    progress = _Progress.from_record(record)
    rejects_path, notes_path = report_paths(files.reports, plan.id)
    rejects = _Report(rejects_path, ["line", "rule", "reason", "record"], progress.rejects)
    notes = _Report(notes_path, ["line", "rule", "note"], progress.notes)
    loader = _Loader(db, plan, step, pipeline.fields)
    try:
        loader.prepare(fresh=record is None or not record.checkpoint, pipeline=pipeline)
        workers = WORKERS if path.stat().st_size > PARALLEL_BYTES or os.environ.get("DBBASIC_IMPORT_WORKERS") \
            else 0
        batches = _transformed(_chunks(read_rows(path, fmt, progress.line), step.batch_rows), step, workers, emit,
                               plan)
        for chunk, batch in batches:
            raws: dict[int, str] = {}
            with db.transaction():
                kept = loader.deduplicate(batch)
                refused = loader.load([b for b in kept if b.values is not None])
                loader.forget([b.key for b in kept if b.line in refused and b.key is not None])
                for loaded in kept:
                    loaded = refused.get(loaded.line, loaded)
                    progress.counts.add(loaded, pipeline.names)
                    for rule, note in loaded.notes:
                        notes.write([loaded.line, rule, note])
                    if loaded.values is None:
                        if step.on_error == "stop":
                            raise ApplyError(f"plan {plan.id}, step {step.id}: line {loaded.line} of {step.source}: "
                                             f"{loaded.rule}: {loaded.reason} (the spec says `on_error: stop`)",
                                             plan.id, step.id)
                        if not loaded.raw:  # rejected here (a duplicate, the database): the file's text
                            raws = raws or {r.line: r.raw for r in chunk}
                            loaded = replace(loaded, raw=raws[loaded.line])
                        rejects.write([loaded.line, loaded.rule, loaded.reason, loaded.raw])
                        progress.rejected += 1
                progress.read += len(batch)
                progress.loaded += sum(1 for b in kept if b.values is not None and b.line not in refused)
                progress.line = batch[-1].line
                progress.rejects, progress.notes = rejects.sync(), notes.sync()
                history.record(db, plan, step, "running", rows=progress.loaded, expected=progress.read,
                               checkpoint=progress.to_json())
            emit(Event("batch", plan.id, step.id, step.kind, rows=progress.loaded, checkpoint=progress.line))
        with db.transaction():
            history.record(db, plan, step, "applied", rows=progress.loaded, expected=progress.read,
                           checkpoint=progress.to_json())
    finally:
        loader.close()
        rejects.close()
        notes.close()
    if progress.rejected or any(progress.counts.noted.values()):
        noted = sum(progress.counts.noted.values())
        shown = [p.relative_to(files.project) if p.is_relative_to(files.project) else p
                 for p in (rejects_path, notes_path)]
        emit(Event("warning", plan.id, step.id, step.kind,
                   message=f"{progress.rejected} of {progress.read} records rejected (see {shown[0]})"
                           + (f", {noted} noted (see {shown[1]})" if noted else "")))
    return progress.loaded, progress.read


def source_format(step: ImportStep) -> SourceFormat:
    """How the step reads its source, as the plan recorded it (JSON has lists where it had tuples)."""
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in step.format.items()}
    return SourceFormat(**values)


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _transformed(chunks: Iterator[list[SourceRow]], step: ImportStep, workers: int, emit: Emit,
                 plan: Plan) -> Iterator[tuple[list[SourceRow], list[Loaded]]]:
    """Each chunk beside what the pipeline made of it, in order: in this process, or in `workers` processes
    with one chunk in flight per worker and one more (so memory holds a few batches, not the file)."""
    pool = _pool(step, workers, emit, plan) if workers else None
    if pool is None:
        pipeline = Pipeline(step.columns, step.types, step.rules)
        for chunk in chunks:
            yield chunk, [pipeline.run(row) for row in chunk]
        return
    with pool:
        pending: list[tuple[list[SourceRow], Future[list[Loaded]]]] = []
        for chunk in chunks:
            pending.append((chunk, pool.submit(worker.run_chunk, chunk)))
            if len(pending) > workers:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()


def _pool(step: ImportStep, workers: int, emit: Emit, plan: Plan) -> ProcessPoolExecutor | None:
    """Worker processes ready to transform, or None (transform here) when they cannot start."""
    # Spawned, not forked: a forked child would share the database connection's socket. (A fork server
    # measured no faster and used more memory: its own process, and workers that still import the main module.)
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=worker.start,
                               initargs=(step.columns, step.types, list(step.rules), os.getpid()))
    try:
        if all(pool.submit(worker.ready).result() for _ in range(workers)):
            return pool
    except BrokenProcessPool:
        pass
    pool.shutdown(cancel_futures=True)
    emit(Event("warning", plan.id, step.id, step.kind, message="worker processes could not start; transforming "
               "in one process"))
    return None


class _Loader:
    """The database side of an import: the staging table, the keys of the duplicate rule, the loaded rows."""

    def __init__(self, db: Database, plan: Plan, step: ImportStep, fields: tuple[str, ...]):
        self.db, self.plan, self.step, self.fields = db, plan, step, fields
        self.ids = {"plan": plan.id, "step": step.id}
        self.prefix = f"{plan.id}{SEPARATOR}{step.id}{SEPARATOR}"  # the separator of a key's parts
        self.dedupe = any(r["rule"] == DEDUPE for r in step.rules)
        q = db.dialect.quote
        columns = ", ".join(q(f) for f in fields)
        # A record without a value for a field with a default gets the default, as an INSERT without it would.
        values = ", ".join(f"COALESCE({q(f)}, {step.defaults[f]})" if f in step.defaults else q(f) for f in fields)
        self.insert_batch = (f"INSERT INTO {q(step.table)} ({columns}) SELECT {values} FROM {STAGING} "
                             f"ORDER BY {LINE} RETURNING {q(step.key)}")
        self.insert_row = (f"INSERT INTO {q(step.table)} ({columns}) SELECT {values} FROM {STAGING} "
                           f"WHERE {LINE} = %(line)s RETURNING {q(step.key)}")

    def prepare(self, fresh: bool, pipeline: Pipeline) -> None:
        q = self.db.dialect.quote
        with self.db.transaction():
            for statement in _TABLES:
                self.db.execute(statement)
        self.db.execute(f"DROP TABLE IF EXISTS {STAGING}")
        self.db.execute(f"CREATE TEMP TABLE {STAGING} AS SELECT {', '.join(q(f) for f in self.fields)} "
                        f"FROM {q(self.step.table)} WHERE 1 = 0")
        self.db.execute(f"ALTER TABLE {STAGING} ADD COLUMN {LINE} bigint")
        self.db.execute(f"DROP TABLE IF EXISTS {BATCH_KEYS}")
        self.db.execute(f"CREATE TEMP TABLE {BATCH_KEYS} (match_key text NOT NULL)")
        if fresh and self.dedupe:
            self._known_keys(pipeline)

    def _known_keys(self, pipeline: Pipeline) -> None:
        """The match keys of the rows already in the table (line 0), so that a record matching one is a
        duplicate too. Read in the rules' own terms: each row's fields through the duplicate rule's key."""
        rule = next(r for n, r in pipeline.rules if n.startswith(DEDUPE))
        fields = list(pipeline.fields)
        q = self.db.dialect.quote
        with self.db.transaction():
            batch: dict[str, int] = {}
            for row in self.db.iterate(f"SELECT {', '.join(q(f) for f in fields)} FROM {q(self.step.table)}"):
                key = rule.key(dict(zip(fields, (None if v is None else str(v) for v in row), strict=True)))
                if key is not None:
                    batch.setdefault(key, 0)  # two rows of the table alike: one key
                if len(batch) >= 5000:
                    self._store_new(batch)
                    batch = {}
            self._store_new(batch)

    def _store_new(self, keys: dict[str, int]) -> None:
        """Keep the keys not known yet, with their lines."""
        known = self._lines(list(keys))
        self._store({k: line for k, line in keys.items() if k not in known})

    def _store(self, keys: dict[str, int]) -> None:
        if keys:
            self.db.copy_rows(KEYS, ("match_key", "plan_id", "step_id", "line"),
                              [(self.prefix + k, self.plan.id, self.step.id, line) for k, line in keys.items()])

    def _lines(self, keys: list[str]) -> dict[str, int]:
        """The line that had each of `keys` first, for the keys seen before."""
        if not keys:
            return {}
        self.db.execute(f"DELETE FROM {BATCH_KEYS}")
        self.db.copy_rows(BATCH_KEYS, ("match_key",), [(self.prefix + k,) for k in keys])
        rows = self.db.query(f"SELECT k.match_key, k.line FROM {KEYS} AS k JOIN {BATCH_KEYS} AS b ON "
                             "b.match_key = k.match_key")
        return {str(k)[len(self.prefix):]: int(line) for k, line in rows}

    def deduplicate(self, batch: list[Loaded]) -> list[Loaded]:
        """The batch with each record whose match key was seen before (earlier in the file, or in the table)
        turned into a reject that says where."""
        if not self.dedupe:
            return batch
        known = self._lines(list({b.key for b in batch if b.values is not None and b.key is not None}))
        result, new = [], {}
        name = next(label(r, i) for i, r in enumerate(self.step.rules) if r["rule"] == DEDUPE)
        for loaded in batch:
            if loaded.values is None or loaded.key is None:
                result.append(loaded)
                continue
            first = known.get(loaded.key)
            if first is None:
                known[loaded.key] = new[loaded.key] = loaded.line
                result.append(loaded)
                continue
            where = f"line {first}" if first else f"a row already in {self.step.table}"
            result.append(Loaded(loaded.line, loaded.raw, None, name, f"duplicate of {where}",
                                 notes=loaded.notes, changed=loaded.changed))
        self._store(new)
        return result

    def load(self, batch: list[Loaded]) -> dict[int, Loaded]:
        """Insert the batch; return the records the database refused (line -> the reject), found by inserting
        the batch again one row at a time when it refused the whole."""
        if not batch:
            return {}
        self.db.execute(f"DELETE FROM {STAGING}")
        self.db.copy_rows(STAGING, (*self.fields, LINE), [(*b.values, b.line) for b in batch if b.values is not None])
        try:
            with self.db.savepoint():
                keys = [row[0] for row in self.db.query(self.insert_batch)]
        except Exception as error:
            if not self.db.is_refusal(error):
                raise
            return self._load_rows(batch)
        self._record(keys)
        return {}

    def _load_rows(self, batch: list[Loaded]) -> dict[int, Loaded]:
        refused, keys = {}, []
        for loaded in batch:
            try:
                with self.db.savepoint():
                    keys += [row[0] for row in self.db.query(self.insert_row, {"line": loaded.line})]
            except Exception as error:
                if not self.db.is_refusal(error):
                    raise
                reason = " ".join(str(error).split()) or type(error).__name__
                refused[loaded.line] = Loaded(loaded.line, loaded.raw, None, REFUSED, reason, notes=loaded.notes,
                                              changed=loaded.changed)
        self._record(keys)
        return refused

    def forget(self, keys: list[str]) -> None:
        """The match keys of records the database refused: a later record like one of them is no duplicate."""
        if keys:
            self.db.execute_many(f"DELETE FROM {KEYS} WHERE match_key = %(key)s",
                                 [{"key": self.prefix + k} for k in keys])

    def _record(self, keys: list[Any]) -> None:
        if keys:
            self.db.copy_rows(ROWS, ("plan_id", "step_id", "row_key"),
                              [(self.plan.id, self.step.id, str(k)) for k in keys])

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a lost connection takes its temporary tables with it
            self.db.execute(f"DROP TABLE IF EXISTS {STAGING}")
            self.db.execute(f"DROP TABLE IF EXISTS {BATCH_KEYS}")


@dataclass
class ImportPreview:
    """What an import would do, from the file alone (dry run): the first records beside what they become,
    and the count of each rule's outcomes over the whole file. Duplicates of rows already in the table
    are not known without the database; duplicates within the file are."""

    plan_id: str
    source: str
    records: int = 0
    would_load: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    """Rejected records by rule (`read`, a rule, `cast`)."""
    counts: RuleCounts = field(default_factory=RuleCounts)
    samples: list[dict[str, Any]] = field(default_factory=list)
    """Per sampled record: `line`, then `changes` ([field, source value, value loaded]) or `rejected`
    ([rule, reason])."""


def preview_import(plan: Plan, step: ImportStep, files: ImportFiles, rows: int = 5) -> ImportPreview:
    """Run the import's pipeline over the whole file without a database."""
    fmt = source_format(step)
    pipeline = Pipeline(step.columns, step.types, step.rules)
    preview = ImportPreview(plan.id, step.source)
    dedupe = next((label(r, i) for i, r in enumerate(step.rules) if r["rule"] == DEDUPE), None)
    seen: dict[str, int] = {}
    for record in read_rows(files.project / step.source, fmt):
        loaded = pipeline.run(record)
        if loaded.values is not None and dedupe and loaded.key is not None:
            first = seen.setdefault(loaded.key, loaded.line)
            if first != loaded.line:
                loaded = Loaded(loaded.line, record.raw, None, dedupe, f"duplicate of line {first}",
                                notes=loaded.notes, changed=loaded.changed)
        preview.records += 1
        preview.counts.add(loaded, pipeline.names)
        if loaded.values is None:
            preview.rejected[loaded.rule] = preview.rejected.get(loaded.rule, 0) + 1
        else:
            preview.would_load += 1
        if len(preview.samples) < rows:
            sample: dict[str, Any] = {"line": loaded.line}
            if loaded.values is None:
                sample["rejected"] = [loaded.rule, loaded.reason]
            else:
                by_field = {name: column for column, name in step.columns.items()}
                sample["changes"] = [[name, record.values.get(by_field[name]) if name in by_field else None,
                                      value] for name, value in zip(pipeline.fields, loaded.values, strict=True)]
            preview.samples.append(sample)
    return preview
