"""`partitioning:` applied to a PostgreSQL that has the example's todos with data: the table becomes 16 hash
partitions while a writer inserts, updates (the partition key too) and deletes, with every row and every write
kept; a rollback before the contract step gives the plain table back, writes made since included; then the
archive and `dbbasic maintain`."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from dbbasic import api
from dbbasic.runner import maintain
from dbbasic.runner.apply import ManualStepPending

TODOS = 20_000


def before_partitioning(example: Path, pg_url: str) -> list[int]:
    """The example applied up to its scaling plans, and TODOS todos spread over its users; their ids."""
    compiled = api.plan(example).plans
    api.apply(example, pg_url, sorted({p.id for p in compiled if not p.id.startswith("scaling/")}),
              require_approval=False)
    with psycopg.connect(pg_url, autocommit=True) as db:
        users = [row[0] for row in db.execute("SELECT id FROM users ORDER BY id")]
        db.execute("INSERT INTO todos (user_id, status, title) SELECT (%s::bigint[])[1 + g %% %s], "
                   "(ARRAY['todo', 'in_progress', 'done'])[1 + g %% 3], 'todo ' || g FROM generate_series(1, %s) g",
                   (users, len(users), TODOS))
    return users


class Writer(threading.Thread):
    """The application: inserts, updates (moving todos between users, so between partitions) and deletes,
    one autocommit statement at a time, until stopped; keeps count of what it did and of its failures."""

    def __init__(self, url: str, users: list[int]):
        super().__init__()
        self.url, self.users = url, users
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.inserted, self.deleted, self.moved = set[uuid.UUID](), set[uuid.UUID](), 0

    def run(self) -> None:
        rng = random.Random(7)
        with psycopg.connect(self.url, autocommit=True) as db:
            while not self.stop.is_set():
                try:
                    new = db.execute("INSERT INTO todos (user_id, title) VALUES (%s, 'written meanwhile') "
                                     "RETURNING id", (rng.choice(self.users),)).fetchone()
                    assert new is not None
                    self.inserted.add(new[0])
                    moved = db.execute("UPDATE todos SET user_id = %s, title = title || '!' WHERE id = (SELECT id "
                                       "FROM todos ORDER BY random() LIMIT 1)", (rng.choice(self.users),))
                    self.moved += moved.rowcount
                    gone = db.execute("DELETE FROM todos WHERE id = (SELECT id FROM todos WHERE title <> "
                                      "'written meanwhile' ORDER BY random() LIMIT 1) RETURNING id").fetchone()
                    if gone:
                        self.deleted.add(gone[0])
                except psycopg.Error as exc:
                    self.failures.append(str(exc))


def differ(db: psycopg.Connection, a: str, b: str) -> int:
    row = db.execute(f'SELECT count(*) FROM ((TABLE "{a}" EXCEPT ALL TABLE "{b}") UNION ALL '
                     f'(TABLE "{b}" EXCEPT ALL TABLE "{a}")) d').fetchone()
    assert row is not None
    return int(row[0])


def no_drift(example: Path, url: str) -> bool:
    found = api.diff_from_db(example, url)
    return not found.plan.steps and not [p for p in found.problems if p.level == "error"]


def scanned(db: psycopg.Connection, query: str) -> int:
    """How many partitions of todos a query reads, per EXPLAIN."""
    plan = "\n".join(row[0] for row in db.execute(f"EXPLAIN {query}"))
    return sum(1 for line in plan.splitlines() if " on todos_p" in line)


def test_todos_become_partitions_online_and_a_rollback_gives_the_plain_table_back(example: Path,
                                                                                   pg_url: str) -> None:
    users = before_partitioning(example, pg_url)
    writer = Writer(pg_url, users)
    writer.start()
    try:
        with pytest.raises(ManualStepPending, match="scaling/partitioning waits for a person at step 6-contract"):
            api.apply(example, pg_url, ["scaling/partitioning"], require_approval=False)
    finally:
        writer.stop.set()
        writer.join()
    assert writer.failures == [] and len(writer.inserted) > 10 and writer.moved > 10

    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute("SELECT relkind FROM pg_class WHERE relname = 'todos'").fetchone() == ("p",)
        assert [r[0] for r in db.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                         "WHERE i.inhparent = 'todos'::regclass ORDER BY 1")] == [
            f"todos_p{i:02d}" for i in range(16)]
        ids = {r[0] for r in db.execute("SELECT id FROM todos")}
        assert writer.inserted - writer.deleted <= ids and not ids & writer.deleted
        assert len(ids) == TODOS + len(writer.inserted) - len(writer.deleted)
        assert differ(db, "todos", "todos__old") == 0  # the old table follows the new one until the contract
        # autovacuum, off on both sides during the copy (so that the swap's lock waits for none), is back
        assert db.execute("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                          "WHERE i.inhparent = 'todos'::regclass AND c.reloptions IS NULL").fetchone() == (16,)
        # The soft-delete migration's view and index moved with the table.
        assert db.execute("SELECT count(*) FROM todos_live").fetchone() == (len(ids),)
        assert db.execute("SELECT 1 FROM pg_indexes WHERE tablename = 'todos' AND indexname = 'todos_id_live_idx'"
                          ).fetchone() == (1,)
        assert scanned(db, f"SELECT * FROM todos WHERE user_id = {users[0]}") == 1  # partition pruning
        assert scanned(db, "SELECT * FROM todos WHERE status = 'todo'") == 16
        db.execute("INSERT INTO todos (user_id, title) VALUES (%s, 'after the swap')", (users[1],))
    # The drift check knows the conversion's own tables and the partition column in the key: no drift.
    assert no_drift(example, pg_url)

    api.rollback(example, "scaling/partitioning", pg_url, require_approval=False)
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute("SELECT relkind FROM pg_class WHERE relname = 'todos'").fetchone() == ("r",)
        assert {r[0] for r in db.execute("SELECT id FROM todos WHERE title <> 'after the swap'")} == ids
        assert db.execute("SELECT count(*) FROM todos WHERE title = 'after the swap'").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'todos\\_\\_%'").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'todos'::regclass AND NOT tgisinternal"
                          ).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM todos_live").fetchone() == (len(ids) + 1,)
        assert db.execute("SELECT reloptions FROM pg_class WHERE relname = 'todos'").fetchone() == (None,)


def test_after_the_contract_the_archive_takes_old_done_todos_and_maintain_keeps_its_partitions(
        example: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before_partitioning(example, pg_url)
    with pytest.raises(ManualStepPending):
        api.apply(example, pg_url, ["scaling/partitioning"], require_approval=False)
    api.apply(example, pg_url, ["scaling/partitioning"], require_approval=False,
              confirm=["scaling/partitioning:6-contract-ready"])
    month = datetime.now(UTC).date().replace(day=1)
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute("SELECT to_regclass('todos__old')").fetchone() == (None,)
        archived = [r[0] for r in db.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON "
                                             "c.oid = i.inhrelid WHERE i.inhparent = 'todos_archive'::regclass "
                                             "ORDER BY 1")]
        assert archived[0] == f"todos_archive_{month:%Y_%m}" and len(archived) == 4  # this month and 3 ahead
        done = db.execute("UPDATE todos SET status = 'done', completed_at = now() - interval '40 days' "
                          "WHERE status = 'done'").rowcount
        (total,) = db.execute("SELECT count(*) FROM todos").fetchone() or (0,)

    assert no_drift(example, pg_url)  # the archive is the partitioning's own table, not drift
    monkeypatch.setattr(maintain, "MOVE_BATCH", 1000)  # moved a thousand rows per transaction
    moved = [d for d in api.maintain(example, pg_url) if d.task == "move"]
    assert [d.rows for d in moved] == [done]
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute("SELECT count(*) FROM todos_archive").fetchone() == (done,)
        assert db.execute("SELECT count(*) FROM todos").fetchone() == (total - done,)
        assert db.execute("SELECT count(*) FROM todos_archive WHERE archived_at > now() - interval '1 minute'"
                          ).fetchone() == (done,)

    # Fourteen months on: the partitions ahead are made, those past 12 months' retention detached (rows kept).
    later = month + timedelta(days=14 * 31)
    result = api.maintain(example, pg_url, today=date(later.year, later.month, 1))
    detached = [d.statement for d in result if d.task == "retention"]
    assert any(f"todos_archive_{month:%Y_%m}" in s for s in detached)
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute(f"SELECT count(*) FROM todos_archive_{month:%Y_%m}").fetchone() == (done,)
        assert db.execute("SELECT count(*) FROM todos_archive").fetchone() == (0,)
