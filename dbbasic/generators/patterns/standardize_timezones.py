"""Naive timestamps written in a named zone, converted to UTC in a new column; DST gaps and overlaps counted.

    migration:
      task: "Standardize orders.placed_at to UTC"
      pattern: standardize_timezones
      model: orders
      field: placed_at                  # text or timestamp: wall-clock times in `zone`
      options:
        zone: America/New_York          # required: the IANA zone the times were written in
        into: placed_at_utc             # optional; these are the defaults
        report: orders_placed_at_report
        nonexistent: shift              # a time in a spring-forward gap: shift (as PostgreSQL does) or reject
        ambiguous: earlier              # a time in a fall-back overlap: earlier, later or reject

Steps: add the nullable column `<field>_utc` (a `timestamp`: `timestamptz` on PostgreSQL, dbbasic's ISO
8601 UTC text on SQLite) and the report table; fill the column in keyset batches over the primary key with
the `utc_timestamp` transform (dbbasic/transforms/utc_timestamp.py, Python's zoneinfo with the IANA
database); check that every row with a time has a UTC time or is reported as rejected. The report table
lists every value in a DST gap (`dst-gap`), in an overlap (`dst-overlap`) and every value that is not a
date-time (`rejected`, left NULL in the new column), with the reason; the runner prints the counts. The
source column is kept: dropping it, or renaming the new column over it, is a contract step of its own.

Text with an offset or `Z` names an instant already and is only converted to UTC (so on SQLite, where a
`timestamp` field is text, values dbbasic wrote with `Z` stay as they are). On PostgreSQL a `timestamp`
field is `timestamptz`, which keeps no wall time: its values are read as the wall-clock time they show
in UTC, which is what naive times written through a session in UTC became. Where the application's
session used another time zone, the stored instants are already right: do not use this pattern.
"""

from __future__ import annotations

from dbbasic.generators.patterns._common import TEXT_TYPES, Parameters, transform_log
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import Step, TransformStep
from dbbasic.specs.model import DataModel, Field, FieldType, Migration
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect
from dbbasic.transforms import REJECTED, utc_timestamp

NAME = "standardize_timezones"
VERSION = 1
USAGE = ("`pattern: standardize_timezones`, `model: TABLE`, `field: FIELD` (text or timestamp), "
         "`options: {zone: Europe/Paris}`, optional in `options:` `into`, `report`, `nonexistent` "
         "(shift|reject), `ambiguous` (earlier|later|reject)")
POLICIES = ("nonexistent", "ambiguous")


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=("zone", "into", "report", *POLICIES))
    table = params.table(model)
    source = params.field(table, (*TEXT_TYPES, "timestamp"))
    if "zone" not in params.options:
        params.fail("pattern-parameter", "pattern standardize_timezones needs `options: {zone: ...}`, the IANA "
                    "time zone the times were written in", f"usage: {USAGE}")
    # Text for SQLite's timestamp text, date-times for timestamptz: what the new column stores.
    output = "datetime" if dialect.column_type(FieldType("timestamp")) == "timestamptz" else "text"
    given = {k: params.options[k] for k in ("zone", *POLICIES) if k in params.options}
    parameters = params.transform(utc_timestamp, {**given, "output": output})
    into = Field(params.name(dialect, "into", f"{source.name}_utc"), FieldType("timestamp"))
    params.new_column(table, into.name)
    report = params.name(dialect, "report", f"{table.name}_{source.name}_report")
    params.new_relation(dialect, model, report, "report table")
    key = params.walk_key(dialect, model, table, "the conversion")

    q, t, c = dialect.quote, table.name, source.name
    row_key, _, _, note, _ = TransformStep.LOG_COLUMNS
    log = transform_log(dialect, model, key, source, into, report)
    steps = Steps(dialect)
    steps.ddl(f"expand-{t}", [ddl.add_column(dialect, table, into, model), ddl.create_table(dialect, log, model)],
              [ddl.drop_table(dialect, log), ddl.drop_column(dialect, t, into.name)],
              f"Add the nullable column {t}.{into.name} and {report}, the list of values in DST gaps and "
              "overlaps and of values that are not date-times")
    # No down of its own: the column it fills and its report go with the expand step's down.
    steps.transform(f"convert-{t}.{c}", table, key, c, into.name, utc_timestamp, parameters, report, [],
                    f"Fill {t}.{into.name} with {c} read as {parameters['zone']} time, in UTC; gaps: "
                    f"{parameters.get('nonexistent', 'shift')}, overlaps: {parameters.get('ambiguous', 'earlier')}")
    blank = f" AND trim({q(c)}) <> ''" if source.type.name in TEXT_TYPES else ""
    steps.check(f"verify-{t}.{c}",
                f"SELECT count(*) FROM {q(t)} WHERE {q(c)} IS NOT NULL{blank} AND {q(into.name)} IS NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {q(report)} AS r WHERE r.{q(row_key)} = {q(t)}.{q(key.name)} "
                f"AND r.{q(note)} = {dialect.literal(REJECTED)})", 0,
                f"Every row of {t} with a {c} has a {into.name}, or is listed as rejected in {report}")
    return tuple(steps.steps)
