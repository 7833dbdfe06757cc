"""The synced cutover's parts of a move plan: the change log on the source, what the replay needs of each
table, and the fence that makes the source refuse writes once the destination has them all.

    log = change_log(tables)                  # SQLite SQL: the log table and a trigger per table and write
    fence = fence(tables, plan_id, "prod")    # SQLite SQL: triggers that refuse every write

The log holds the key of each row written (a row's key before and after an UPDATE, when it changed), not
its values: the replay reads the row as the source has it when it replays, so a row written ten times is
replayed once, and a deleted row is one the source no longer has. Keys are stored in columns with no type,
which keep SQLite's values exactly as they are (an integer stays an integer, text stays text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dbbasic.generators.move_schema import MovedColumn
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.source_schema import SourceTable

LOG = "dbbasic_changes"
"""The change log's table on the source."""
WRITES = ("insert", "update", "delete")


@dataclass(frozen=True)
class SyncedTable:
    """A table as the replay reads it from the source and writes it here."""

    table: SourceTable
    columns: tuple[MovedColumn, ...]

    def as_data(self) -> dict[str, Any]:
        return {"table": self.table.name, "key": list(self.table.primary_key),
                "columns": [c.name for c in self.columns], "types": [c.postgres_type for c in self.columns],
                "select": [c.source_sql for c in self.columns]}


def unsynced(table: SourceTable, columns: Sequence[MovedColumn]) -> str:
    """Why the replay cannot find the table's rows here by their key, or "" when it can."""
    if not table.primary_key:
        return (f"table {table.name} has no primary key, so a row changed in the source cannot be found in "
                "PostgreSQL to change it there")
    sqlite = Dialect.get("sqlite")
    converted = [c.name for c in columns if c.name in table.primary_key and c.source_sql != sqlite.quote(c.name)]
    if converted:
        return (f"the primary key of {table.name} ({', '.join(converted)}) changes its values on the way, so a "
                "row deleted from the source could not be found in PostgreSQL by it")
    return ""


def change_log(tables: Sequence[SourceTable]) -> tuple[list[str], list[str]]:
    """The SQLite statements that create the change log and its triggers, and those that remove them."""
    q, lit = Dialect.get("sqlite").quote, Dialect.get("sqlite").literal
    width = max((len(t.primary_key) for t in tables), default=1)
    keys = [f"k{i}" for i in range(1, width + 1)]
    up = [f"CREATE TABLE IF NOT EXISTS {q(LOG)} (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, "
          + ", ".join(keys) + ")"]
    down = []
    for table in tables:
        into = f"INSERT INTO {q(LOG)} (tbl, {', '.join(keys[:len(table.primary_key)])})"
        old, new = ([f"{side}.{q(k)}" for k in table.primary_key] for side in ("OLD", "NEW"))
        moved = " OR ".join(f"{n} IS NOT {o}" for n, o in zip(new, old, strict=True))
        bodies = {
            "insert": f"{into} VALUES ({lit(table.name)}, {', '.join(new)});",
            "update": (f"{into} VALUES ({lit(table.name)}, {', '.join(old)}); "
                       f"{into} SELECT {lit(table.name)}, {', '.join(new)} WHERE {moved};"),
            "delete": f"{into} VALUES ({lit(table.name)}, {', '.join(old)});",
        }
        for write in WRITES:
            name = q(f"dbbasic_capture_{write}_{table.name}")
            up.append(f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {write.upper()} ON {q(table.name)} "
                      f"BEGIN {bodies[write]} END")
            down.append(f"DROP TRIGGER IF EXISTS {name}")
    return up, [*down, f"DROP TABLE IF EXISTS {q(LOG)}"]


def fence(tables: Sequence[SourceTable], plan_id: str, destination: str) -> tuple[list[str], list[str]]:
    """SQLite triggers that refuse every write to the tables once they have moved, and their removal."""
    q, lit = Dialect.get("sqlite").quote, Dialect.get("sqlite").literal
    message = lit(f"dbbasic: this database moved to {destination} (plan {plan_id}); write there")
    up, down = [], []
    for table in tables:
        for write in WRITES:
            name = q(f"dbbasic_moved_{write}_{table.name}")
            up.append(f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {write.upper()} ON {q(table.name)} "
                      f"BEGIN SELECT RAISE(ABORT, {message}); END")
            down.append(f"DROP TRIGGER IF EXISTS {name}")
    return up, down
