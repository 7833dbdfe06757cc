"""A source database as read before a move: its tables, and what each column actually stores.

SQLite's column types are affinities, not rules: a column declared INTEGER may hold text, one declared
DATETIME may hold epoch seconds. So beside the catalog (declared types, keys, indexes, CHECKs) every column
carries a profile of the values found in it, which `generators/move_schema.py` reads to choose PostgreSQL
types and to name the rows that would not survive the move.

Plain data: no SQL is run or rendered here. Names are as the source keeps them; SQL texts (declared types,
defaults, CHECKs, CREATE INDEX) are the source's own, in its dialect. `runner/sqlite_schema.py` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

STORAGE_CLASSES = ("integer", "real", "text", "blob", "null")
"""SQLite's storage classes, as `typeof()` names them."""


@dataclass(frozen=True)
class Sample:
    """One stored value and the row holding it, to show a person.

    `row` says which row: `rowid 42`, `"id" = 42` when the rowid has a column, or the primary key of a
    WITHOUT ROWID table. `value` is an int, float or None as stored; text as str, or bytes when it is not
    valid in the database's encoding; a blob as its first bytes. Long values are cut (see `SAMPLE_CHARS`)."""

    row: str
    value: object


SAMPLE_CHARS = 100
"""The most characters (or bytes) of a value a Sample keeps."""


@dataclass(frozen=True)
class ColumnProfile:
    """What one column holds, from one pass over every row."""

    counts: Mapping[str, int]
    """Values per storage class (every class of STORAGE_CLASSES is a key)."""
    first: Mapping[str, Sample]
    """The first value of each storage class found, in the table's order (rowid, or the key)."""
    smallest: Sample | None = None
    """The smallest integer, and its row."""
    largest: Sample | None = None
    biggest_real: Sample | None = None
    """The real of the largest magnitude."""
    finest_real: Sample | None = None
    """The first real with the most digits after the decimal point (see `decimal_places`)."""
    max_text_length: int = 0
    """In characters (in bytes for text that is not valid in the database's encoding)."""
    iso_dates: int = 0
    """Texts that are ISO-8601 dates (`2024-01-31`), counted up to the first that is not ISO (`not_iso`):
    after it the column is no column of dates, whatever the rest holds, and the texts are not parsed."""
    iso_timestamps: int = 0
    """Texts that are ISO-8601 date-times (`2024-01-31 10:00:00`, `2024-01-31T10:00Z`, ...), counted alike."""
    first_timestamp: Sample | None = None
    not_iso: Sample | None = None
    """The first text that is neither an ISO date nor an ISO date-time."""
    not_unicode: Sample | None = None
    """The first text that is not valid in the database's encoding (its value: the bytes)."""
    with_nul: Sample | None = None
    """The first text holding a NUL character (PostgreSQL's text cannot)."""

    def count(self, storage_class: str) -> int:
        return self.counts.get(storage_class, 0)

    def classes(self) -> frozenset[str]:
        """The storage classes present, NULL left out."""
        return frozenset(c for c, n in self.counts.items() if n and c != "null")


EMPTY_PROFILE = ColumnProfile(dict.fromkeys(STORAGE_CLASSES, 0), {})


@dataclass(frozen=True)
class SourceColumn:
    name: str
    declared_type: str
    """As written in CREATE TABLE (`NVARCHAR(160)`, `DATETIME`); "" when none was."""
    not_null: bool
    default_sql: str | None
    """The default expression as the source keeps it (`CURRENT_TIMESTAMP`, `'new'`, `0`), or None."""
    primary_key_position: int
    """1, 2, ... for the columns of the primary key in key order; 0 for the others."""
    collation: str | None = None
    """A COLLATE of the column (`NOCASE`, `RTRIM`), upper-cased; None for the default (BINARY)."""
    generated: bool = False
    """A generated column (GENERATED ALWAYS AS): its values are computed by the source."""
    profile: ColumnProfile = EMPTY_PROFILE


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    """The referenced table, named as the source names it (SQLite matches names in any case)."""
    to: tuple[str, ...]
    """The referenced columns: the referenced table's primary key when the source did not name them;
    empty when it has none (SQLite then refuses every write that checks the key)."""
    on_update: str
    on_delete: str
    dangling: int = 0
    """Rows whose (non-NULL) columns refer to no row of `table` (possible when foreign keys were off)."""
    first_dangling: Sample | None = None


@dataclass(frozen=True)
class IndexPart:
    column: str | None
    """None for an expression (its text is in the index's `sql`)."""
    descending: bool = False


@dataclass(frozen=True)
class SourceIndex:
    name: str
    parts: tuple[IndexPart, ...]
    unique: bool
    origin: str
    """`c` CREATE INDEX, `u` a UNIQUE constraint, `pk` the primary key (SQLite's own words)."""
    partial: bool = False
    sql: str | None = None
    """The CREATE INDEX as written (origin `c` only)."""


@dataclass(frozen=True)
class Check:
    name: str
    """The constraint's name, "" when it has none."""
    sql: str
    """The condition, in the source's dialect."""


@dataclass(frozen=True)
class SourceTable:
    name: str
    sql: str
    """The CREATE TABLE as written."""
    columns: tuple[SourceColumn, ...]
    row_count: int
    row_key: tuple[str, ...]
    """What orders and identifies a row: the rowid under a name no column hides (`rowid`, `_rowid_` or
    `oid`), or the primary key of a WITHOUT ROWID table; empty when neither exists."""
    rowid_alias: str | None = None
    """The INTEGER PRIMARY KEY column that is the rowid itself, if any."""
    autoincrement: bool = False
    sequence: int | None = None
    """For AUTOINCREMENT: the largest key ever handed out (`sqlite_sequence`), which may exceed the
    largest key left in the table; a new key must be above it."""
    without_rowid: bool = False
    virtual: bool = False
    """A virtual table (CREATE VIRTUAL TABLE ... USING fts5 ...): its columns and rows are not read."""
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[SourceIndex, ...] = ()
    checks: tuple[Check, ...] = ()
    unparsed: str = ""
    """Why the CREATE TABLE could not be parsed, so that its CHECKs and collations are unknown; or ""."""

    @property
    def primary_key(self) -> tuple[str, ...]:
        keyed = sorted((c.primary_key_position, c.name) for c in self.columns if c.primary_key_position)
        return tuple(name for _, name in keyed)

    def column(self, name: str) -> SourceColumn | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class SourceSchema:
    dialect: str
    tables: tuple[SourceTable, ...]
    encoding: str = "UTF-8"

    def table(self, name: str) -> SourceTable | None:
        return next((t for t in self.tables if t.name == name), None)


def affinity(declared_type: str) -> str:
    """SQLite's column affinity of a declared type (its rules, in their order): INTEGER, TEXT, BLOB, REAL
    or NUMERIC. `VARCHAR(10)` is TEXT, `DATETIME` and `BOOLEAN` are NUMERIC, no type at all is BLOB."""
    name = declared_type.upper()
    if "INT" in name:
        return "INTEGER"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in name or not name.strip():
        return "BLOB"
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def decimal_places(value: float) -> int:
    """Digits after the decimal point in the shortest text that reads back as `value` (0.1 -> 1, 1e-07 -> 7)."""
    text = repr(value)
    if "e" not in text:  # the common case, without a Decimal (this runs for every real of a profiled table)
        return len(text) - text.index(".") - 1 if "." in text and not value.is_integer() else 0
    exponent = Decimal(text).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
