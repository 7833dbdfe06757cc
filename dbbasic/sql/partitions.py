"""`partitioning:` as PostgreSQL: a partition set read from the spec, what PostgreSQL would refuse of it, the
names and DDL of its partitions, and the maintenance statements (premake, retention, move). Pure: SQL text
out, nothing connects anywhere. The generator (generators/scaling/conversion.py) and the runner's upkeep
(runner/maintain.py) both use it.

    partitioning:
      todos:
        active:  {by: hash(user_id), partitions: 16, when: "status in ('todo', 'in_progress')"}
        archive: {by: range(archived_at), interval: month, premake: 3, retention: 12 months,
                  move: "status = 'done' and completed_at < now() - interval '30 days'"}

    active = parse_partition_set("todos", "active", spec["active"])
    problems(todos, [active, archive])           # what PostgreSQL would refuse, said before anything runs
    child_partitions("todos__new", active, todos)   # todos__new_p00 .. todos__new_p15
    premake_sql(archive, today)  retention_sql(archive, today, attached)  move_sql("todos", ...)

`active:` partitions the model's own table; `archive:` is a sibling, `<table>_archive`, always
range-partitioned over time, whose range column (`archived_at`) is added when the table has none.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Literal, cast

import sqlglot
from dateutil.relativedelta import relativedelta
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dbbasic.specs.model import Table
from dbbasic.sql.dialect import Dialect

PG = Dialect.get("postgres")

Method = Literal["hash", "range", "list"]
INTERVALS = ("day", "week", "month", "year")
TIME_TYPES = ("date", "timestamp")
ARCHIVE_SUFFIX = "_archive"
DEFAULT_PREMAKE = 4
"""Periods made ahead of the current one when the spec says nothing: pg_partman's default."""

_KEYS = ("by", "partitions", "interval", "premake", "retention", "when", "move")
_BY = re.compile(r"(hash|range|list)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")
_RETENTION = re.compile(r"(\d+)\s*(day|week|month|year)s?")
_WRITES = (exp.DML, exp.Create, exp.Drop, exp.Alter, exp.Command, exp.TruncateTable, exp.Into, exp.Copy, exp.Lock)
_BOOLEAN = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Column)
"""What a condition may be at its top: a comparison, AND/OR/NOT, TRUE/FALSE, or a boolean column."""

ATTACHED_PARTITIONS = ("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = to_regclass(%(table)s) ORDER BY c.relname")
"""The partitions attached to the table named (quoted) in %(table)s: what `retention_sql` is given."""


@dataclass(frozen=True)
class PartitionSet:
    table: str
    """The model's table the set belongs to."""
    name: str
    """`active` (the table itself) or `archive` (its `<table>_archive` sibling)."""
    method: Method
    column: str
    partitions: int | None
    interval: str | None
    premake: int
    retention: str | None
    """Normalised: `12 months`, `1 week`."""
    when: str | None
    """The rows that belong to the active set, as the author wrote it (checked by `condition_sql`)."""
    move: str | None
    """The rows the maintenance step moves into the archive, as the author wrote it."""

    def as_data(self) -> dict[str, Any]:
        """The set as plain data, as a plan step holds it (`PartitionSet(**data)` reads it back)."""
        return asdict(self)

    @property
    def parent(self) -> str:
        """The partitioned table: the model's own for `active`, its archive sibling for `archive`."""
        return self.table + ARCHIVE_SUFFIX if self.name == "archive" else self.table


def parse_partition_set(table: str, name: str, spec: dict[str, Any]) -> PartitionSet:
    """One set of `partitioning: <table>:` read and checked on its own (the table is `problems()`'s)."""
    where = f"partitioning.{table}.{name}"
    if name not in ("active", "archive"):
        raise ValueError(f"{where}: a partition set is `active` (the table itself) or `archive` (its sibling)")
    unknown = sorted(set(spec) - set(_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {', '.join(unknown)}; known: {', '.join(_KEYS)}")
    by = _BY.fullmatch(str(spec.get("by", "")).strip())
    if by is None:
        raise ValueError(f"{where}: `by: {spec.get('by')}` must be hash(column), range(column) or list(column)")
    method = cast(Method, by.group(1))  # the pattern allows only these three
    column = by.group(2)
    partitions = spec.get("partitions")
    if method == "hash" and partitions is None:
        raise ValueError(f"{where}: hash partitioning needs `partitions:` (how many), e.g. `partitions: 16`")
    if partitions is not None and (method != "hash" or type(partitions) is not int):
        raise ValueError(f"{where}: `partitions:` is a whole number, and only for hash(column)")
    interval = spec.get("interval")
    if method == "range" and interval is None:
        raise ValueError(f"{where}: range partitioning needs `interval:` ({', '.join(INTERVALS)}): "
                         "one partition per period")
    if interval is not None and (method != "range" or interval not in INTERVALS):
        raise ValueError(f"{where}: `interval: {interval}` must be one of {', '.join(INTERVALS)}, for range(column)")
    if name == "archive" and method != "range":
        raise ValueError(f"{where}: an archive is range-partitioned over time (`by: range(archived_at)`), "
                         "so that old periods can be detached")
    premake = spec.get("premake", DEFAULT_PREMAKE if method == "range" else 0)
    if type(premake) is not int or premake < 0 or (premake and method != "range"):
        raise ValueError(f"{where}: `premake:` is a whole number of periods ahead, for range(column)")
    retention = spec.get("retention")
    if retention is not None:
        found = _RETENTION.fullmatch(str(retention).strip())
        if found is None or method != "range":
            raise ValueError(f"{where}: `retention: {retention}` must read N day(s), week(s), month(s) or year(s), "
                             "e.g. `retention: 12 months`, for range(column)")
        count, unit = int(found.group(1)), found.group(2)
        retention = f"{count} {unit}{'' if count == 1 else 's'}"
    move = spec.get("move")
    if move is not None and name != "archive":
        raise ValueError(f"{where}: `move:` says which rows go to the archive; write it under `archive:`")
    for key in ("when", "move"):
        if spec.get(key) is not None:
            try:
                condition_sql(str(spec[key]))
            except ValueError as exc:
                raise ValueError(f"{where}.{key}: {exc}") from None
    when = spec.get("when")
    return PartitionSet(table, name, method, column, partitions, interval, premake, retention,
                        None if when is None else str(when), None if move is None else str(move))


def problems(table: Table, sets: list[PartitionSet]) -> list[str]:
    """What PostgreSQL would refuse, in the author's terms, with what to write instead."""
    found: list[str] = []
    for pset in sets:
        where = f"partitioning.{table.name}.{pset.name}"
        field = table.field(pset.column)
        if field is None and pset.name == "active":
            found.append(f"{where}: {pset.column} is not a field of {table.name}; partition by one of its fields")
            continue
        if pset.name == "active":
            found += _keys_without(table, pset.column, where)
        if pset.method == "hash" and (pset.partitions or 0) < 2:
            found.append(f"{where}: hash partitioning into {pset.partitions} partition(s) divides nothing; "
                         "use `partitions: 2` or more")
        if field is not None and pset.method == "range" and field.type.name not in TIME_TYPES:
            found.append(f"{where}: range({pset.column}) with `interval: {pset.interval}` needs a date or timestamp "
                         f"column; {pset.column} is {field.type}")
        if field is not None and pset.method == "list" and field.type.name != "enum":
            found.append(f"{where}: list({pset.column}) needs an enum field (one partition per value); "
                         f"{pset.column} is {field.type}")
        last = date(2026, 12, 31) if pset.method == "range" else max(0, (pset.partitions or 1) - 1)
        longest = partition_name(pset.parent, pset, last)
        if len(longest.encode()) > (PG.max_identifier_bytes or 63):
            found.append(f"{where}: partition names such as {longest} are longer than PostgreSQL keeps "
                         f"({PG.max_identifier_bytes} bytes); shorten the table's name")
    return found


def _keys_without(table: Table, column: str, where: str) -> list[str]:
    """A problem for each unique constraint of `table` (but its primary key) that lacks the partition column."""
    why = "PostgreSQL requires every primary key and unique constraint of a partitioned table to include it"
    found = []  # the primary key is not asked for: the conversion adds the column to it, and plan.md says so
    for f in table.fields:
        if f.unique and f.name != column and (f.name,) != table.primary_key:
            found.append(f"{where}: {table.name}.{f.name} is unique on its own; {why}: drop `unique: true` and "
                         f"write `unique: [[{f.name}, {column}]]` on the table (unique per {column})")
    groups = [g for g in table.unique] + [tuple(c.name for c in i.columns) for i in table.indexes if i.unique]
    for group in groups:
        if column not in group:
            found.append(f"{where}: unique ({', '.join(group)}) of {table.name} lacks the partition column {column}; "
                         f"{why}: make it ({', '.join(group)}, {column})")
    return found


def partition_name(table: str, pset: PartitionSet, index_or_start: int | date) -> str:
    """`todos_p00` for hash and list partitions (by index); for range partitions, by the period's start:
    `todos_archive_2026_11` (month), `_2026_11_05` (day), `_2026w45` (ISO week), `_2026` (year)."""
    if isinstance(index_or_start, int):
        return f"{table}_p{index_or_start:02d}"
    start = index_or_start
    if pset.interval == "day":
        return f"{table}_{start:%Y_%m_%d}"
    if pset.interval == "week":
        year, week, _ = start.isocalendar()
        return f"{table}_{year}w{week:02d}"
    if pset.interval == "year":
        return f"{table}_{start:%Y}"
    return f"{table}_{start:%Y_%m}"


def child_partitions(parent: str, pset: PartitionSet, table: Table) -> list[str]:
    """The partitions of a hash or list set, made with the table: every hash remainder; one per value of the
    enum a list set partitions by (its CHECK admits no other).

    No DEFAULT partition, although pg_partman keeps one: a row that belongs to no premade period then fails
    its insert (the move is one statement, so nothing is lost) instead of landing in the default, where it
    would stop PostgreSQL from creating its period's partition later and make every new partition scan the
    default under lock. Range partitions come from `premake_sql`."""
    q = PG.quote
    if pset.method == "hash":
        count = pset.partitions or 0
        return [f"CREATE TABLE {q(partition_name(parent, pset, i))} PARTITION OF {q(parent)} "
                f"FOR VALUES WITH (MODULUS {count}, REMAINDER {i})" for i in range(count)]
    if pset.method == "list":
        field = table.field(pset.column)
        values = field.values if field is not None else ()
        return [f"CREATE TABLE {q(partition_name(parent, pset, i))} PARTITION OF {q(parent)} "
                f"FOR VALUES IN ({PG.literal(value)})" for i, value in enumerate(values)]
    return []


def period_start(interval: str, day: date) -> date:
    """The first day of the period (`interval`) that holds `day`; weeks start on Monday (ISO)."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "year":
        return day.replace(month=1, day=1)
    return day


def _shift(interval: str, day: date, count: int) -> date:
    return day + relativedelta(**{interval + "s": count})  # type: ignore[arg-type]  # days/weeks/months/years


def _range_partitions(parent: str, pset: PartitionSet, today: date) -> list[str]:
    """CREATE TABLE IF NOT EXISTS for the partitions of today's period and `premake` periods ahead.

    Bounds are written as UTC midnight: a timestamptz bound without an offset would be read in the session's
    time zone, so the same plan would cut periods at different instants on different servers. A date column
    reads the same text as the date."""
    interval = pset.interval or "month"
    first = period_start(interval, today)
    sql = []
    for k in range(pset.premake + 1):
        start, end = _shift(interval, first, k), _shift(interval, first, k + 1)
        sql.append(f"CREATE TABLE IF NOT EXISTS {PG.quote(partition_name(parent, pset, start))} "
                   f"PARTITION OF {PG.quote(parent)} FOR VALUES FROM ({_bound(start)}) TO ({_bound(end)})")
    return sql


def _bound(day: date) -> str:
    return PG.literal(f"{day.isoformat()} 00:00:00+00")


def premake_sql(pset: PartitionSet, today: date) -> list[str]:
    """The partitions from today's period to `premake` periods ahead; those already there are left alone,
    so the maintenance step runs it as often as it likes."""
    if pset.method != "range":
        raise ValueError(f"partitioning.{pset.table}.{pset.name}: only range partitions are made ahead")
    return _range_partitions(pset.parent, pset, today)


def retention_sql(pset: PartitionSet, today: date, existing: list[str], drop: bool = False) -> list[str]:
    """DETACH PARTITION for each of `existing` (names as `ATTACHED_PARTITIONS` reads them) whose whole period
    ended before `today` minus `retention`: its rows leave the table but stay in the detached one, for a person
    to dump; DROP TABLE too only with `drop`. Names not made by `partition_name` are never touched.

    Plain DETACH (ACCESS EXCLUSIVE on the archive, brief) rather than CONCURRENTLY, which cannot run inside the
    runner's transaction; an archive is rarely read, so the brief lock costs little."""
    if pset.retention is None or pset.interval is None:
        return []
    count, unit = pset.retention.split()
    cutoff = _shift(unit.rstrip("s"), today, -int(count))
    sql = []
    for name in sorted(existing):
        start = _period_of(pset, name)
        if start is not None and _shift(pset.interval, start, 1) <= cutoff:
            sql.append(f"ALTER TABLE {PG.quote(pset.parent)} DETACH PARTITION {PG.quote(name)}")
            if drop:
                sql.append(f"DROP TABLE {PG.quote(name)}")
    return sql


def _period_of(pset: PartitionSet, name: str) -> date | None:
    """The start of the period a partition's name stands for; None for a name `partition_name` did not make."""
    suffix = name[len(pset.parent) + 1:] if name.startswith(pset.parent + "_") else ""
    patterns = {"day": r"(\d{4})_(\d{2})_(\d{2})", "week": r"(\d{4})w(\d{2})", "month": r"(\d{4})_(\d{2})",
                "year": r"(\d{4})"}
    found = re.fullmatch(patterns[pset.interval or "month"], suffix)
    if found is None:
        return None
    parts = [int(g) for g in found.groups()]
    try:
        if pset.interval == "week":
            return date.fromisocalendar(parts[0], parts[1], 1)
        return date(*(parts + [1, 1])[:3])
    except ValueError:
        return None


def move_sql(table: str, archive_table: str, pset_archive: PartitionSet, columns: list[str],
             batch_rows: int | None = None) -> list[str]:
    """The rows matching `move:` taken out of `table` and written to the archive in one statement: a row is
    in exactly one of them whatever happens (an insert that fails undoes the delete). The range column,
    when the table has none, takes its default: the moment of the move. With `batch_rows`, at most that
    many rows (run it until it moves none): short transactions on a big table. A row changed between the
    choice and the delete is re-checked against the condition (PostgreSQL's read-committed recheck).

    Deleting from `table` cascades as any delete does: tables that refer to it lose their rows."""
    if pset_archive.move is None:
        raise ValueError(f"partitioning.{pset_archive.table}.{pset_archive.name}: no `move:` condition")
    q = PG.quote
    cols = ", ".join(q(c) for c in columns)
    where = condition_sql(pset_archive.move)
    if batch_rows is not None:
        where += (f" AND (tableoid, ctid) IN (SELECT tableoid, ctid FROM {q(table)} WHERE {where} "
                  f"LIMIT {int(batch_rows)})")
    return [f"WITH {q('moved')} AS (DELETE FROM {q(table)} WHERE {where} "
            f"RETURNING {cols}) INSERT INTO {q(archive_table)} ({cols}) SELECT {cols} FROM {q('moved')}"]


def condition_sql(text: str) -> str:
    """An author's condition (`status = 'done'`) re-rendered by sqlglot as one boolean expression.

    Refused: more than one statement (`1=1; DROP TABLE x`), anything that writes, even inside a subquery
    (`EXISTS (WITH d AS (DELETE ...) ...)`), and what is not a condition at its top (`SELECT 1`, `42`).
    Reading subqueries are kept: `user_id IN (SELECT id FROM users WHERE ...)`."""
    try:
        tree = sqlglot.condition(text, dialect=PG.sqlglot_name)
    except SqlglotError as exc:
        reason = str(exc).splitlines()[0]
        raise ValueError(f"`{text}` is not a single SQL condition ({reason})") from None
    if any(isinstance(node, _WRITES) for node in tree.walk()):
        raise ValueError(f"`{text}` writes or locks: a condition may only read")
    if not isinstance(tree.unnest(), _BOOLEAN):
        raise ValueError(f"`{text}` is not a boolean condition (a comparison, AND/OR/NOT, IN, IS, EXISTS ...)")
    return str(tree.sql(dialect=PG.sqlglot_name))
