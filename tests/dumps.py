"""A database as text, to compare before and after: pg_dump on PostgreSQL, iterdump on SQLite.

dbbasic's own history table is left out: it is meant to change.
"""

from __future__ import annotations

import sqlite3
import subprocess

from pg_server import pg_bin


def dump(url: str, schema_only: bool = False) -> str:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            if schema_only:
                rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'dbbasic%' "
                                    "ORDER BY type, name").fetchall()
                return "\n".join(f"{t} {n}: {s}" for t, n, s in rows)
            return "\n".join(line for line in conn.iterdump() if "dbbasic_history" not in line)
    pg_dump = pg_bin("pg_dump")
    assert pg_dump, "pg_dump not found"
    args = [pg_dump, "--no-owner", "--exclude-table=dbbasic_history", *(["--schema-only"] if schema_only else []), url]
    text = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    # pg_dump 15.14+ wraps its output in \restrict/\unrestrict lines with a random key.
    return "\n".join(line for line in text.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))
