"""Targets and connections: resolve a target name or URL, connect, and never leak a password.

`${VAR}` in a target is read from the environment here, at connect time, and nowhere else; anything
printed about a target goes through `redact()`.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from dbbasic.errors import ConnectionFailed, LockTimeout, TargetError
from dbbasic.specs.model import Project
from dbbasic.sql.dialect import Dialect

_VAR = re.compile(r"\$\{(\w+)\}")


def redact(text: str) -> str:
    """The text with the password of every URL in it, and any `password=` parameter, replaced by ***.

    Works on the raw text rather than a URL parser, so a password with an unescaped `?`, `/` or `#`
    (which a parser would split elsewhere) is hidden all the same."""
    text = _URL_CREDENTIALS.sub(r"\1\2:***@", text)
    return _PASSWORD_PARAMETER.sub(r"\1***", text)


# scheme://user:password@ ... up to the last @ before the end of the URL (whitespace or a quote).
_URL_CREDENTIALS = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)([^:/@\s'\"]*):[^\s'\"]*@(?=[^@\s'\"]*(?:[\s'\"]|$))")
_PASSWORD_PARAMETER = re.compile(r"((?:password|sslpassword)\s*=\s*)[^&\s'\"]*", re.IGNORECASE)


@dataclass(frozen=True)
class ResolvedTarget:
    name: str
    url: str
    """With secrets: pass to the driver only."""
    dialect: Dialect

    @property
    def display(self) -> str:
        return self.name if self.name != self.url else redact(self.url)


def resolve_target(project: Project, name_or_url: str, root: Path,
                   environ: Mapping[str, str] | None = None) -> ResolvedTarget:
    """A target of the project by name, or a URL; `${VAR}` resolved from the environment now."""
    environ = os.environ if environ is None else environ
    target = project.target(name_or_url)
    written = target.url if target else name_or_url
    if target is None and "://" not in name_or_url and not name_or_url.startswith("${"):
        known = ", ".join(t.name for t in project.targets) or "none defined"
        raise TargetError(f"no target named '{name_or_url}' (targets: {known})")

    def substitute(match: re.Match[str]) -> str:
        if match.group(1) not in environ:
            raise TargetError(f"target '{name_or_url}' needs the environment variable {match.group(1)}, "
                              "which is not set")
        return environ[match.group(1)]

    url = _VAR.sub(substitute, written)
    dialect = Dialect.for_url(url)
    if dialect is None:
        raise TargetError(f"target '{name_or_url}' is not a URL dbbasic can connect to: {redact(url)} "
                          "(expected sqlite:///path.db or postgresql://...)")
    if url.startswith("sqlite:") and not url.startswith("sqlite:///"):
        raise TargetError(f"SQLite URL {url} needs three slashes: sqlite:///relative/path.db or "
                          "sqlite:////absolute/path.db")
    return ResolvedTarget(target.name if target else url, url, dialect)


class Database(Protocol):
    """A connection the runner drives: explicit transactions, `%(name)s` parameters, one dialect."""

    dialect: Dialect
    description: str

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int: ...
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...
    def transaction(self) -> Any: ...
    def query_read_only(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a query that may not change anything: it runs read-only and is rolled back."""
    def copy_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
        """Insert rows in bulk (inside the caller's transaction); return how many were written."""
    def execute_many(self, sql: str, params: list[dict[str, Any]]) -> None:
        """Run one statement once per parameter set, in the caller's transaction."""
    def savepoint(self) -> Any:
        """A block inside the caller's transaction that is undone alone when it raises."""
    def iterate(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        """The rows of a query a few at a time (memory stays flat), inside the caller's transaction."""
    def snapshot(self) -> Any:
        """A transaction that only reads: every query in it sees the same state, and no writer waits on it."""
    def is_refusal(self, error: BaseException) -> bool:
        """Whether the database refused a row (a constraint, a value of the wrong type), not failed."""
    def lock(self, wait_seconds: float, holder: dict[str, str]) -> Any:
        """Be the only runner on this database until the block ends; wait at most `wait_seconds`."""
    def close(self) -> None: ...


def holder_info(plan: str = "") -> dict[str, str]:
    """Who we are, as a second runner will be told."""
    return {"host": socket.gethostname(), "pid": str(os.getpid()), "plan": plan}


def _poll(try_once: Any, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0.01)))


# sqlite3 binds no Decimal (imports cast decimal fields to one); its exact text is what a NUMERIC column
# would have been given in SQL. Adapters are global to sqlite3, and this one changes nothing else.
sqlite3.register_adapter(Decimal, str)


class SqliteDatabase:
    def __init__(self, path: Path, description: str, must_exist: bool = False):
        self.dialect = Dialect.get("sqlite")
        self.path = path
        self.description = description
        if must_exist and not path.exists():
            raise ConnectionFailed(f"no SQLite database at {path} for {description} yet: nothing has been applied "
                                   "there (`dbbasic apply` creates it)")
        try:
            if must_exist:
                # Looking must not create: a typo in a path is an error, not a new empty database. (Not
                # mode=ro: a reader must be able to roll back the journal a killed writer left behind.)
                self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                # Autocommit mode: the runner issues BEGIN/COMMIT itself, so DDL is transactional too.
                self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA busy_timeout = 30000")
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # is it a database at all?
        except (sqlite3.Error, OSError) as exc:
            raise ConnectionFailed(f"cannot open {description} ({path}): {exc}") from None

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        cursor = self.conn.execute(self.dialect.bind_style(sql) if params is not None else sql, params or {})
        return max(cursor.rowcount, 0)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        sql = self.dialect.bind_style(sql) if params is not None else sql
        return [tuple(row) for row in self.conn.execute(sql, params or {}).fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        self.conn.execute("BEGIN")  # deferred: a read snapshot, no write lock
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def copy_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
        q = self.dialect.quote
        marks = ", ".join("?" for _ in columns)
        cursor = self.conn.executemany(
            f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) VALUES ({marks})", rows)
        return max(cursor.rowcount, 0)

    def execute_many(self, sql: str, params: list[dict[str, Any]]) -> None:
        self.conn.executemany(self.dialect.bind_style(sql), params)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self.conn.execute("SAVEPOINT dbbasic_savepoint")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO SAVEPOINT dbbasic_savepoint")
            self.conn.execute("RELEASE SAVEPOINT dbbasic_savepoint")
            raise
        self.conn.execute("RELEASE SAVEPOINT dbbasic_savepoint")

    def iterate(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        cursor = self.conn.execute(self.dialect.bind_style(sql) if params is not None else sql, params or {})
        while rows := cursor.fetchmany(5000):
            yield from (tuple(row) for row in rows)

    def is_refusal(self, error: BaseException) -> bool:
        return isinstance(error, (sqlite3.IntegrityError, sqlite3.DataError))

    def query_read_only(self, sql: str) -> list[tuple[Any, ...]]:
        self.conn.execute("PRAGMA query_only = ON")
        self.conn.execute("BEGIN")
        try:
            return self.query(sql)
        finally:
            self.conn.execute("ROLLBACK")
            self.conn.execute("PRAGMA query_only = OFF")

    @contextmanager
    def lock(self, wait_seconds: float, holder: dict[str, str]) -> Iterator[None]:
        # A file lock beside the database: the kernel releases it when the process dies, even on kill -9.
        lock_path = self.path.with_name(self.path.name + ".dbbasic-lock")
        with open(lock_path, "a+") as handle:
            def try_once() -> bool:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    return False

            if not _poll(try_once, wait_seconds):
                handle.seek(0)
                raise LockTimeout(f"another dbbasic runner holds {self.description} ({_who(handle.read())}); "
                                  f"waited {wait_seconds:g}s")
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(holder))
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        self.conn.close()


def _who(text: str) -> str:
    try:
        info = json.loads(text)
        return f"host {info['host']}, pid {info['pid']}, plan {info.get('plan') or '?'}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


class PostgresDatabase:
    LOCK_KEY = 0x6462626173696300  # "dbbasic\0": one advisory lock per database for all runners

    def __init__(self, url: str, description: str):
        try:
            import psycopg
        except ImportError:
            raise TargetError("PostgreSQL targets need psycopg: pip install 'dbbasic[postgres]'") from None
        self.dialect = Dialect.get("postgres")
        self.description = description
        try:
            self.conn = psycopg.connect(url, autocommit=True, application_name=f"dbbasic {os.getpid()}")
        except psycopg.Error as exc:
            message = str(exc).replace(url, redact(url)).strip().splitlines()[0]
            raise ConnectionFailed(f"cannot connect to {description}: {message}") from None

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        cursor = self.conn.execute(sql, params)
        return max(cursor.rowcount, 0)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, params).fetchall())

    def transaction(self) -> Any:
        return self.conn.transaction()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def copy_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
        q = self.dialect.quote
        with self.conn.cursor() as cursor:
            with cursor.copy(f"COPY {q(table)} ({', '.join(q(c) for c in columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return cursor.rowcount if cursor.rowcount >= 0 else len(rows)

    def execute_many(self, sql: str, params: list[dict[str, Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql, params)

    def savepoint(self) -> Any:
        return self.conn.transaction()  # nested in the caller's: psycopg makes it a savepoint

    def iterate(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        # A server-side cursor: the rows come 5,000 at a time instead of all at once.
        with self.conn.cursor(name="dbbasic_iterate") as cursor:
            cursor.execute(sql, params)
            # fetchmany, not iteration: psycopg's server cursor iterator costs ~40% more per row.
            while rows := cursor.fetchmany(5000):
                yield from rows

    def is_refusal(self, error: BaseException) -> bool:
        import psycopg

        return isinstance(error, (psycopg.errors.IntegrityError, psycopg.errors.DataError))

    def query_read_only(self, sql: str) -> list[tuple[Any, ...]]:
        with self.conn.transaction(force_rollback=True):
            self.conn.execute("SET TRANSACTION READ ONLY")
            return self.query(sql)

    @contextmanager
    def lock(self, wait_seconds: float, holder: dict[str, str]) -> Iterator[None]:
        name = f"dbbasic apply host={holder['host']} pid={holder['pid']} plan={holder.get('plan', '')}"
        self.conn.execute("SELECT set_config('application_name', %s, false)", (name[:63],))
        key = {"key": self.LOCK_KEY}
        if not _poll(lambda: self.query("SELECT pg_try_advisory_lock(%(key)s)", key)[0][0], wait_seconds):
            rows = self.query(
                "SELECT a.application_name, a.client_addr::text, a.pid FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND ((l.classid::bigint << 32) | l.objid::bigint) = %(key)s", key)
            who = ", ".join(f"{r[0] or 'unknown client'} (backend pid {r[2]}, from {r[1] or 'local socket'})"
                            for r in rows) or "holder unknown"
            raise LockTimeout(f"another dbbasic runner holds {self.description}: {who}; waited {wait_seconds:g}s")
        try:
            yield
        finally:
            self.query("SELECT pg_advisory_unlock(%(key)s)", key)

    def close(self) -> None:
        self.conn.close()


def connect(target: ResolvedTarget, root: Path, must_exist: bool = False) -> Database:
    """Open the target; with `must_exist`, a SQLite file that is not there is an error, not created."""
    if target.dialect.name == "sqlite":
        raw = target.url[len("sqlite:///"):]
        path = Path(raw) if raw.startswith("/") else root / raw
        return SqliteDatabase(path, target.display, must_exist)
    return PostgresDatabase(target.url, target.display)
