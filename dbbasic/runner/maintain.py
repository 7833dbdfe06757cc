"""Partition upkeep, for the plan's first run and for `dbbasic maintain` from cron.

- premake: the range partitions from this period to `premake` ahead (those there are left alone);
- move: the rows of the table matching the archive's `move:`, deleted and written to the archive in one
  statement per batch of MOVE_BATCH, so a row is in exactly one of them whatever happens; the columns are
  the live table's, read from the catalog, and a column a migration added since is added to the archive
  first (nullable: the rows archived before have no value), so it moves too;
- retention: archive partitions whose period ended more than `retention` ago detached (dropped only when
  asked: a detached partition keeps its rows for a person to dump).
Each task of each table runs in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from dbbasic.runner.connect import Database
from dbbasic.sql.partitions import ATTACHED_PARTITIONS, PartitionSet, move_sql, premake_sql, retention_sql

TASKS = ("premake", "move", "retention")

MOVE_BATCH = 10_000
"""Rows archived per transaction: a big table's move holds its row locks for one batch at a time."""


@dataclass(frozen=True)
class Done:
    table: str
    task: str
    statement: str
    rows: int = 0


def maintain_table(db: Database, table: str, sets: list[PartitionSet], tasks: tuple[str, ...] = TASKS,
                   today: date | None = None, drop: bool = False) -> list[Done]:
    """Run the tasks for the partition sets of `table`; return what was done."""
    day = today or datetime.now(UTC).date()
    q = db.dialect.quote
    done: list[Done] = []
    for pset in (s for s in sets if s.method == "range" and s.interval):
        if "premake" in tasks:
            with db.transaction():
                before = _attached(db, pset.parent)
                for statement in premake_sql(pset, day):
                    db.execute(statement)
                done += [Done(table, "premake", name) for name in _attached(db, pset.parent) if name not in before]
        if "move" in tasks and pset.move:
            columns = _columns(db, table)
            with db.transaction():  # columns a migration added to the table since: the archive takes them too
                archived = {name for name, _ in _columns(db, pset.parent)}
                for name, type_sql in columns:
                    if name not in archived:
                        db.execute(f"ALTER TABLE {q(pset.parent)} ADD COLUMN {q(name)} {type_sql}")
                        done.append(Done(table, "columns", f"{pset.parent}.{name} {type_sql}"))
            (statement,) = move_sql(table, pset.parent, pset, [name for name, _ in columns], MOVE_BATCH)
            moved = 0
            while True:
                with db.transaction():
                    batch = db.execute(statement)
                moved += batch
                if batch < MOVE_BATCH:  # a short batch: nothing matched beyond it
                    break
            done.append(Done(table, "move", statement, moved))
        if "retention" in tasks:
            with db.transaction():
                for statement in retention_sql(pset, day, _attached(db, pset.parent), drop):
                    db.execute(statement)
                    done.append(Done(table, "retention", statement))
    return done


def _columns(db: Database, table: str) -> list[tuple[str, str]]:
    """The live columns of `table`, in order, with their types as SQL (format_type's own quoting)."""
    return [(row[0], row[1]) for row in db.query(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass(%(table)s) "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", {"table": db.dialect.quote(table)})]


def _attached(db: Database, parent: str) -> list[str]:
    return [row[0] for row in db.query(ATTACHED_PARTITIONS, {"table": db.dialect.quote(parent)})]
