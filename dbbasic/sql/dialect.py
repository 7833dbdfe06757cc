"""SQL dialects: every SQLite/PostgreSQL difference dbbasic knows, and the one quoting function.

A dialect is mostly configuration (like sqlglot's): flags with a docstring each, and a type mapping from
semantic type to SQL type. Code elsewhere asks the dialect; it never tests `if name == "postgres"`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from decimal import Decimal
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dbbasic.specs.model import Field, FieldType

# sqlglot logs a warning for every statement it keeps as an opaque Command; we report those ourselves.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class Dialect:
    name: ClassVar[str]
    sqlglot_name: ClassVar[str]
    max_identifier_bytes: ClassVar[int | None] = None
    """Longest identifier the database keeps; PostgreSQL silently truncates longer ones."""
    inline_foreign_keys_only: ClassVar[bool] = False
    """Foreign keys can only be declared in CREATE TABLE (SQLite has no ALTER TABLE ADD CONSTRAINT)."""
    url_schemes: ClassVar[tuple[str, ...]] = ()
    TYPE_MAPPING: ClassVar[dict[str, str]] = {}
    READ_TYPES: ClassVar[dict[str, str]] = {}
    """The inverse of TYPE_MAPPING, for reading a live database back (runner/read_model.py): the semantic
    type a column of each SQL type (spelled as `schema_state.normalize_type` spells it, arguments left
    off) reads as when nothing else (a CHECK, a default, the key) tells which of the types stored alike
    it is; `email` and `url` are stored as `text`, so a text column reads as `text`. A type not listed
    is not one dbbasic writes."""
    LENGTH_FUNCTION: ClassVar[str] = "char_length"
    """The function that counts a text's characters."""
    TABLE_EXISTS: ClassVar[str] = ""
    """A query returning a row when the table named %(name)s exists."""
    LOCKS: ClassVar[dict[str, str]] = {}
    """What each lock level of sql/analyze.py means on this database, in a reviewer's words."""

    _registry: ClassVar[dict[str, type[Dialect]]] = {}

    def __init_subclass__(cls) -> None:
        Dialect._registry[cls.name] = cls

    @classmethod
    def get(cls, name: str) -> Dialect:
        try:
            return cls._registry[name]()
        except KeyError:
            raise ValueError(f"unknown dialect {name!r}; known: {', '.join(sorted(cls._registry))}") from None

    @classmethod
    def names(cls) -> list[str]:
        return sorted(cls._registry)

    @classmethod
    def for_url(cls, url: str) -> Dialect | None:
        scheme = url.split(":", 1)[0].lower()
        return next((d() for d in cls._registry.values() if scheme in d.url_schemes), None)

    # -- quoting: the only way a name or a value reaches SQL text -------------------------------------

    def quote(self, name: str) -> str:
        """Quote an identifier. Always quoted, so reserved words (`user`, `order`) and case are safe."""
        return '"' + name.replace('"', '""') + '"'

    def literal(self, value: Any) -> str:
        """Render a Python value as an SQL literal of this dialect."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return self.boolean(value)
        if isinstance(value, (int, Decimal)):
            return str(value)
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("NaN and infinity have no portable SQL literal")
            return repr(value)
        if isinstance(value, (dict, list)):
            value = json.dumps(value, sort_keys=True, separators=(",", ":"))
        return "'" + str(value).replace("'", "''") + "'"

    def boolean(self, value: bool) -> str:
        return "TRUE" if value else "FALSE"

    # -- types and defaults ----------------------------------------------------------------------------

    def column_type(self, ftype: FieldType) -> str:
        sql = self.TYPE_MAPPING[ftype.name]
        # A string's length is a CHECK, not a varchar(n): changing it later is then not a type change.
        return f"{sql}({', '.join(map(str, ftype.args))})" if ftype.args and ftype.name != "string" else sql

    def identity_clause(self) -> str:
        """What follows the type of an `id` primary key."""
        return ""

    def uuid_default(self) -> str | None:
        """Expression that generates a UUID for a uuid primary key, if the dialect has one."""
        return None

    def now_default(self, ftype: FieldType) -> str:
        raise NotImplementedError

    def default_sql(self, field: Field) -> str | None:
        if field.default is None:
            return None
        if field.default == "now" and field.type.name in ("timestamp", "date"):
            return self.now_default(field.type)
        if field.type.name == "enum":
            return self.literal(str(field.default))  # enum columns are text, whatever the values look like
        return self.literal(field.default)

    def column_checks(self, column: str, field: Field) -> list[str]:
        """CHECK constraints that carry a semantic type where the column type alone does not."""
        checks = []
        if field.type.name == "enum":
            values = ", ".join(self.literal(str(v)) for v in field.values)
            checks.append(f"{self.quote(column)} IN ({values})")
        elif field.type.name == "string" and field.type.args:
            checks.append(f"{self.LENGTH_FUNCTION}({self.quote(column)}) <= {int(field.type.args[0])}")
        return checks

    # -- SQL text ----------------------------------------------------------------------------------------

    def split(self, sql: str) -> list[str]:
        """Split a script into statements, keeping each statement's own text (no re-rendering).

        A semicolon inside a body (`CREATE TRIGGER ... BEGIN ...; ...; END`) does not split: within a
        CREATE statement, BEGIN and CASE open a block that END closes."""
        statements, start, depth, creating = [], 0, 0, False
        try:
            tokens = sqlglot.Dialect.get_or_raise(self.sqlglot_name).tokenize(sql)
        except SqlglotError:
            tokens = []
        for token in tokens:
            word = token.text.upper() if token.token_type != sqlglot.TokenType.IDENTIFIER else ""
            if token.token_type == sqlglot.TokenType.SEMICOLON and depth == 0:
                statements.append(sql[start : token.start])
                start, creating = token.end + 1, False
            elif word == "CREATE" and not sql[start : token.start].strip():
                creating = True
            elif creating and word in ("BEGIN", "CASE"):
                depth += 1
            elif creating and word == "END" and depth:
                depth -= 1
        statements.append(sql[start:])
        return [s.strip() for s in statements if s.strip()]

    def parse(self, statement: str) -> exp.Expression | None:
        """Parse one statement; None when sqlglot cannot (it is then kept as opaque text).

        Cached: a plan's statements are read by the generator, the linter and the renderer.
        Callers must not mutate the tree."""
        return _parse(self.sqlglot_name, statement)

    def tokens(self, statement: str) -> list[tuple[str, str]]:
        """(kind, text) of each token; names come without their quotes. Empty when it does not tokenize."""
        try:
            return [(t.token_type.name, t.text) for t in
                    sqlglot.Dialect.get_or_raise(self.sqlglot_name).tokenize(statement)]
        except SqlglotError:
            return []

    def normalize(self, statement: str) -> str:
        """A statement's canonical token string: equal for the same statement however it is laid out.

        Spacing, line breaks, comments and the case of keywords and unquoted names do not count; quoted
        names and string literals do. Token-based rather than parse-based, so it is fast, and does not
        change when a newer sqlglot renders a statement differently (an approval outlives upgrades)."""
        tokens = self.tokens(statement)
        if not tokens:
            return " ".join(statement.split())
        return " ".join(f"{kind}:{text if kind.endswith(_CASE_KEPT) else text.lower()}"
                        for kind, text in tokens if kind != "SEMICOLON")

    def pretty(self, statement: str) -> str:
        """A long one-line statement laid out by sqlglot; kept as written when already laid out,
        or when sqlglot's layout would not read back as the same statement."""
        if "\n" in statement or len(statement) <= 80:
            return statement
        tree = self.parse(statement)
        if tree is None:
            return statement
        laid_out = tree.sql(dialect=self.sqlglot_name, pretty=True)
        return laid_out if self.normalize(laid_out) == self.normalize(statement) else statement

    def translate(self, statement: str, source: Dialect) -> str | None:
        """The statement written for `source`, in this dialect; None when it cannot be translated."""
        if source.name == self.name:
            return statement
        tree = source.parse(statement)
        if tree is None:
            return None
        if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "INDEX":
            # sqlglot keeps PostgreSQL's NULL ordering with NULLS LAST, which an index cannot say (and
            # which does not matter for one); the parsed tree is cached, so change a copy.
            tree = tree.copy()
            ordering = sqlglot.Dialect.get_or_raise(self.sqlglot_name).NULL_ORDERING
            for ordered in tree.find_all(exp.Ordered):
                desc = bool(ordered.args.get("desc"))
                default_first = {"nulls_are_small": not desc, "nulls_are_large": desc}.get(ordering, False)
                ordered.set("nulls_first", default_first)
        try:
            return tree.sql(dialect=self.sqlglot_name, unsupported_level=sqlglot.ErrorLevel.RAISE)
        except SqlglotError:
            return None

    def bind_style(self, sql: str) -> str:
        """Rewrite `%(name)s` placeholders (the plan's style) into the driver's style."""
        return sql

    def step_settings(self, lock_timeout_ms: int, statement_timeout_ms: int) -> list[str]:
        """Statements that open a step's transaction: how long to wait for a lock, how long to run."""
        return []

    def utc_settings(self) -> list[str]:
        """Statements that make a transaction read a date-time text without an offset as UTC."""
        return []

    def is_lock_timeout(self, error: BaseException) -> bool:
        """Whether `error` means the lock was not granted in time, or that a deadlock was broken by rolling this
        transaction back (either is worth a retry after a pause: nothing of the transaction is left)."""
        return False

    def session_lock_timeout(self, lock_timeout_ms: int) -> list[str]:
        """Statements that set the lock timeout outside a transaction (online steps)."""
        return []

    RESET_LOCK_TIMEOUT: ClassVar[str] = ""
    ROW_LOCK: ClassVar[str] = ""
    """What a SELECT ends with to lock the rows it reads until the transaction ends (a read-modify-write
    must not overwrite a concurrent write); SQLite needs nothing, its write transaction excludes writers."""

    INVALID_INDEX: ClassVar[str] = ""
    """A query returning a row when the index named %(name)s exists but is unusable (an interrupted build)."""
    INDEX_EXISTS: ClassVar[str] = ""
    """A query returning a row when the index named %(name)s exists."""
    TABLE_ROWS: ClassVar[str] = ""
    """A query of (table, estimated rows) for the tables named in %(names)s, when the database keeps
    estimates (PostgreSQL's `reltuples`); SQLite keeps none, and counting would read every table."""
    REBUILD_BEFORE: ClassVar[tuple[str, ...]] = ()
    """Statements run outside the transaction before a table rebuild (SQLite: foreign keys off)."""
    REBUILD_CHECK: ClassVar[str] = ""
    """A query, run in the rebuild's transaction, returning a row per foreign key the rebuild broke."""
    REBUILD_AFTER: ClassVar[tuple[str, ...]] = ()


class Postgres(Dialect):
    name = "postgres"
    sqlglot_name = "postgres"
    max_identifier_bytes = 63
    url_schemes = ("postgres", "postgresql")
    TABLE_EXISTS = "SELECT 1 WHERE to_regclass(%(name)s) IS NOT NULL"
    TYPE_MAPPING = {
        "id": "bigint",
        "uuid": "uuid",
        "text": "text",
        "string": "text",
        "email": "text",
        "phone": "text",
        "url": "text",
        "int": "integer",
        "bigint": "bigint",
        "decimal": "numeric",
        "float": "double precision",
        "bool": "boolean",
        "date": "date",
        "timestamp": "timestamptz",
        "json": "jsonb",
        "enum": "text",
    }
    READ_TYPES = {
        "bigint": "bigint",
        "uuid": "uuid",
        "text": "text",
        "int": "int",
        "decimal": "decimal",
        "double precision": "float",
        "boolean": "bool",
        "date": "date",
        "timestamptz": "timestamp",
        "jsonb": "json",
    }

    LOCKS = {
        "none": "none",
        "new": "none: a new table",
        "rows": "ROW EXCLUSIVE: locks the rows it changes",
        "concurrent": "SHARE UPDATE EXCLUSIVE: reads and writes go on",
        "share": "SHARE: blocks writes to the table while it runs",
        "brief": "ACCESS EXCLUSIVE, brief (catalog change only)",
        "exclusive": "ACCESS EXCLUSIVE: blocks reads and writes while it runs",
        "unknown": "unknown: read the SQL",
    }

    INVALID_INDEX = ("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                     "WHERE c.relname = %(name)s AND c.relnamespace = current_schema()::regnamespace "
                     "AND NOT i.indisvalid")
    INDEX_EXISTS = ("SELECT 1 FROM pg_class WHERE relname = %(name)s AND relkind = 'i' "
                    "AND relnamespace = current_schema()::regnamespace")
    TABLE_ROWS = ("SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%(names)s) "
                  "AND relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace AND reltuples >= 0")

    def step_settings(self, lock_timeout_ms: int, statement_timeout_ms: int) -> list[str]:
        return [f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}",
                f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}"]

    def utc_settings(self) -> list[str]:
        return ["SET LOCAL TimeZone = 'UTC'"]

    def is_lock_timeout(self, error: BaseException) -> bool:
        # lock_not_available; deadlock_detected (a copy batch holding rows FOR SHARE and a writer of several)
        return getattr(error, "sqlstate", None) in ("55P03", "40P01")

    RESET_LOCK_TIMEOUT = "RESET lock_timeout"
    ROW_LOCK = " FOR UPDATE"

    def session_lock_timeout(self, lock_timeout_ms: int) -> list[str]:
        return [f"SET lock_timeout = {int(lock_timeout_ms)}"]

    def identity_clause(self) -> str:
        return "GENERATED BY DEFAULT AS IDENTITY"

    def uuid_default(self) -> str:
        return "gen_random_uuid()"

    def now_default(self, ftype: FieldType) -> str:
        return "CURRENT_DATE" if ftype.name == "date" else "now()"


class Sqlite(Dialect):
    name = "sqlite"
    sqlglot_name = "sqlite"
    inline_foreign_keys_only = True
    url_schemes = ("sqlite",)
    LENGTH_FUNCTION = "length"
    TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %(name)s"
    INDEX_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %(name)s"
    # From SQLite's ALTER TABLE documentation: foreign keys off (only possible outside a transaction) so
    # that dropping the old table neither fails nor cascades, then checked before the commit.
    REBUILD_BEFORE = ("PRAGMA foreign_keys = OFF",)
    REBUILD_CHECK = "PRAGMA foreign_key_check"
    REBUILD_AFTER = ("PRAGMA foreign_keys = ON",)
    # SQLite has type affinities, not types: the declared name picks the affinity, CHECKs carry the rest.
    TYPE_MAPPING = {
        "id": "INTEGER",
        "uuid": "TEXT",
        "text": "TEXT",
        "string": "TEXT",
        "email": "TEXT",
        "phone": "TEXT",
        "url": "TEXT",
        "int": "INTEGER",
        "bigint": "INTEGER",
        "decimal": "NUMERIC",
        "float": "REAL",
        "bool": "INTEGER",
        "date": "TEXT",
        "timestamp": "TEXT",
        "json": "TEXT",
        "enum": "TEXT",
    }
    READ_TYPES = {"INTEGER": "int", "TEXT": "text", "NUMERIC": "decimal", "REAL": "float"}

    LOCKS = {
        "none": "none",
        "new": "none: a new table",
        "rows": "database write lock while the statement runs (SQLite has one writer)",
        "concurrent": "database write lock while it runs (SQLite has no concurrent builds)",
        "share": "database write lock while it runs (SQLite has one writer)",
        "brief": "database write lock, brief",
        "exclusive": "database write lock while the table is rebuilt",
        "unknown": "unknown: read the SQL",
    }

    def column_type(self, ftype: FieldType) -> str:
        return self.TYPE_MAPPING[ftype.name]  # lengths and precision are not enforced by SQLite types

    def boolean(self, value: bool) -> str:
        return "1" if value else "0"

    def is_lock_timeout(self, error: BaseException) -> bool:
        # busy_timeout already waited; "database is locked" after it is SQLite's lock timeout.
        return "database is locked" in str(error)

    def uuid_default(self) -> str:
        # A random (version 4) UUID from randomblob(), as SQLite has no UUID function.
        return ("(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
                "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
                "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))")

    def now_default(self, ftype: FieldType) -> str:
        if ftype.name == "date":
            return "(date('now'))"
        return "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"

    def column_checks(self, column: str, field: Field) -> list[str]:
        checks = super().column_checks(column, field)
        name = self.quote(column)
        if field.type.name == "bool":
            checks.append(f"{name} IN (0, 1)")
        elif field.type.name == "json":
            checks.append(f"{name} IS NULL OR json_valid({name})")  # json_valid(NULL) is 0, not NULL
        return checks

    def bind_style(self, sql: str) -> str:
        # sqlite3 takes :name; a literal percent is written %% for psycopg's sake, so undo that here.
        return re.sub(r"%\((\w+)\)s", r":\1", sql).replace("%%", "%")


DIALECTS: tuple[str, ...] = tuple(Dialect.names())

_CASE_KEPT = ("STRING", "IDENTIFIER")  # token kinds whose case is meaning: 'Abc', "Abc"


@functools.lru_cache(maxsize=4096)
def _parse(sqlglot_name: str, statement: str) -> exp.Expression | None:
    try:
        tree = sqlglot.parse_one(statement, read=sqlglot_name)
    except SqlglotError:
        return None
    return None if isinstance(tree, exp.Command) or not isinstance(tree, exp.Expression) else tree
