"""Phone numbers rewritten in place to E.164 (`+12025550143`); invalid ones are reported, never overwritten.

    migration:
      task: "Normalize users.phone to E.164"
      pattern: normalize_phones
      model: users
      field: phone
      options: {default_region: US, report: users_phone_report}   # default_region is required

Steps: create the report table (`<table>_<field>_report` unless `report:` names it); rewrite the field
in keyset batches over the primary key with the `phone_e164` transform (dbbasic/transforms/phone_e164.py:
libphonenumber's parse, `is_valid_number`, E.164); check that every non-blank value is now in E.164 or
is reported as rejected. A number without a country code is read as a number of `default_region`, which
the plan states. The report table holds one row per changed or rejected value: the row's key, the
original, the E.164 result (NULL when rejected), the note (`changed` or `rejected`) and the reason.
Rolled back, the originals come back from the report table (a value the application has changed since
stays as the application wrote it), then the report table goes.

The application should write E.164 itself before the plan runs: a value written in another form after
its batch is done makes the check fail, and the plan stops there.
"""

from __future__ import annotations

from dbbasic.generators.patterns._common import Parameters, transform_log
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import Step, TransformStep
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect
from dbbasic.transforms import REJECTED, phone_e164

NAME = "normalize_phones"
VERSION = 1
USAGE = ("`pattern: normalize_phones`, `model: TABLE`, `field: PHONE` (phone or text), "
         "`options: {default_region: US}`, optional `report: TABLE_FIELD_report` in `options:`")
PHONE_TYPES = ("phone", "text", "string")
"""Semantic types that hold phone numbers as text."""


def build(migration: Migration, model: DataModel, dialect: Dialect) -> tuple[Step, ...]:
    params = Parameters(migration, USAGE, takes=("field",), options=("default_region", "report"))
    table = params.table(model)
    field = params.field(table, PHONE_TYPES)
    if "default_region" not in params.options:
        params.fail("pattern-parameter", "pattern normalize_phones needs `options: {default_region: ...}`, the "
                    "region of numbers written without a country code", f"usage: {USAGE}")
    parameters = params.transform(phone_e164, {"default_region": str(params.options["default_region"]).upper()})
    report = params.name(dialect, "report", f"{table.name}_{field.name}_report")
    params.new_relation(dialect, model, report, "report table")
    key = params.walk_key(dialect, model, table, "the rewrite")

    q, t, c = dialect.quote, table.name, field.name
    row_key, original, result, note, _ = TransformStep.LOG_COLUMNS
    log = transform_log(dialect, model, key, field, field, report)
    steps = Steps(dialect)
    steps.ddl(f"report-{report}", [ddl.create_table(dialect, log, model)], [ddl.drop_table(dialect, log)],
              f"Create {report}: each changed or rejected value of {t}.{c}, with the reason")
    restore = (f"UPDATE {q(t)} SET {q(c)} = (SELECT r.{q(original)} FROM {q(report)} AS r WHERE r.{q(row_key)} = "
               f"{q(t)}.{q(key.name)}) WHERE EXISTS (SELECT 1 FROM {q(report)} AS r WHERE r.{q(row_key)} = "
               f"{q(t)}.{q(key.name)} AND r.{q(note)} = 'changed' AND r.{q(result)} = {q(t)}.{q(c)})")
    steps.transform(f"normalize-{t}.{c}", table, key, c, c, phone_e164, parameters, report, [restore],
                    f"Rewrite {t}.{c} in E.164 (numbers without a country code are read as "
                    f"{parameters['default_region']} numbers); invalid ones stay and are listed in {report}")
    steps.check(f"verify-{t}.{c}",
                f"SELECT count(*) FROM {q(t)} WHERE {q(c)} IS NOT NULL AND trim({q(c)}) <> '' "
                f"AND NOT ({_E164[dialect.name](dialect, c)}) AND NOT EXISTS (SELECT 1 FROM {q(report)} AS r "
                f"WHERE r.{q(row_key)} = {q(t)}.{q(key.name)} AND r.{q(note)} = {dialect.literal(REJECTED)})", 0,
                f"Every value of {t}.{c} is in E.164 or listed as rejected in {report}")
    return tuple(steps.steps)


def _postgres_e164(dialect: Dialect, column: str) -> str:
    return f"{dialect.quote(column)} ~ {dialect.literal('^[+][1-9][0-9]{1,14}$')}"


def _sqlite_e164(dialect: Dialect, column: str) -> str:
    """SQLite has no regular expressions: `+`, a digit 1-9, then only digits, 2 to 16 characters in all."""
    c = dialect.quote(column)
    return (f"{c} GLOB '+[1-9]*' AND substr({c}, 2) NOT GLOB '*[^0-9]*' AND length({c}) BETWEEN 3 AND 16")


_E164 = {"postgres": _postgres_e164, "sqlite": _sqlite_e164}
