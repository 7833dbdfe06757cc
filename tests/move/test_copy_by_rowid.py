"""The copy step of a move (runner/copy.py with `select`): each Chinook table copied from SQLite into
PostgreSQL in rowid order, its values converted by the expressions the schema conversion chose, checkpointed
per batch; interrupted after two batches and run again, it resumes with no row lost or copied twice (the
verify step compares every table)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_move_schema import converted, pg  # noqa: F401
from test_sqlite_schema import CHINOOK, read

from dbbasic.plan.model import CopyStep, Plan
from dbbasic.runner import history
from dbbasic.runner.connect import PostgresDatabase, SqliteDatabase
from dbbasic.runner.copy import run_copy
from dbbasic.runner.events import Event
from dbbasic.runner.verify import Compared, verify_table
from dbbasic.specs.model import Source


class Interrupted(Exception):
    pass


def test_chinook_copied_by_rowid_resumes_after_an_interruption_and_verifies(tmp_path: Path,
                                                                            pg: PostgresDatabase) -> None:  # noqa: F811
    path = Path(shutil.copy(CHINOOK, tmp_path / "chinook.sqlite"))
    schema = converted(path, casts={"Invoice.InvoiceDate": "timestamptz"})
    tables = {t.name: t for t in read(path).tables}
    for statement in schema.create:
        pg.execute(statement)
    pg.execute("SET TimeZone = 'UTC'")
    history.ensure(pg)
    steps = tuple(CopyStep(f"{n}-copy-{name.lower()}", "", name, name, tables[name].row_key[0],
                           tuple(c.name for c in columns), batch_rows=500,
                           select=tuple(c.source_sql for c in columns))
                  for n, (name, columns) in enumerate(schema.column_map.items(), start=1))
    plan = Plan("move", "Move to PostgreSQL", "postgres", Source("specs/move.yaml", 1, ""), "test", 1, steps)
    source = SqliteDatabase(path, "chinook", must_exist=True)
    try:
        track = next(s for s in steps if s.table == "Track")
        batches = []

        def stop_after_two(event: Event) -> None:
            batches.append(event)
            if len(batches) == 2:
                raise Interrupted

        with pytest.raises(Interrupted):
            run_copy(pg, source, plan, track, None, stop_after_two)
        copied = pg.query('SELECT count(*) FROM "Track"')[0][0]
        (record,) = [r for r in history.records(pg, plan.id) if r.step_id == track.id]
        assert record.rows_touched == copied and 500 <= copied < tables["Track"].row_count  # two batches, checkpointed
        for step in steps:
            record = next((r for r in history.records(pg, plan.id) if r.step_id == step.id), None)
            run_copy(pg, source, plan, step, record, lambda event: None)
        for statement in schema.after_data + schema.validate:
            pg.execute(statement)
        for name, columns in schema.column_map.items():
            verdict = verify_table(source, pg, name, tables[name].primary_key,
                                   [Compared(c.name, c.postgres_type, c.source_sql) for c in columns])
            assert (name, verdict.rows, verdict.difference) == (name, tables[name].row_count, None)
    finally:
        source.close()
