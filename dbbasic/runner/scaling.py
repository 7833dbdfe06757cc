"""Running a scaling tier's own steps: its gate, its engine settings, its configuration files.

- gate: the tier's metric measured read-only; below the tier's threshold the plan waits (nothing recorded);
- settings: SQLite PRAGMAs set one by one and read back; the values read are the step's checkpoint;
- config: each server setting of the tier's files checked against the live server's `pg_settings` (a name it
  knows, a value of its type within its bounds), so that a file that would stop PostgreSQL at its restart
  fails here, before a person installs it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from decimal import Decimal

from dbbasic.plan.model import ConfigStep, GateStep, Plan, SettingsStep
from dbbasic.runner import history
from dbbasic.runner.connect import Database


class SettingRefused(Exception):
    """A setting the server does not know, or a value it would not accept."""


def measure(db: Database, sql: str) -> float:
    """The metric's value now (read-only: a metric query changes nothing)."""
    rows = db.query_read_only(sql)
    value = rows[0][0] if rows and rows[0] else None
    if not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):  # sum() and avg() give Decimal
        raise SettingRefused(f"the metric query returned {value!r}, not a number: {sql}")
    return float(value)


def measured(db: Database, sql: str) -> float | None:
    """The metric's value, or None while it cannot be measured (its table not made yet)."""
    errors: tuple[type[Exception], ...] = (*_driver_errors(db), SettingRefused)
    try:
        return measure(db, sql)
    except errors:
        return None


def _driver_errors(db: Database) -> tuple[type[Exception], ...]:
    if db.dialect.name == "sqlite":
        return (sqlite3.Error,)
    import psycopg  # a PostgreSQL target has it; an install for SQLite only may not

    return (psycopg.Error,)


def run_gate(db: Database, plan: Plan, step: GateStep) -> float:
    """The metric's value; the step is recorded once it reaches the tier (below, nothing is written)."""
    value = measure(db, step.sql)
    if value < step.at_least:
        return value
    with db.transaction():
        history.record(db, plan, step, "applied", rows=int(value), checkpoint=json.dumps({step.metric: value}))
    return value


def run_settings(db: Database, plan: Plan, step: SettingsStep) -> dict[str, str]:
    """Set each PRAGMA, read it back; a value that does not hold (journal_mode refused) is an error."""
    if db.dialect.name != "sqlite":
        raise SettingRefused(f"step {step.id} sets SQLite PRAGMAs; this target is {db.dialect.name}")
    read = {}
    for name, value in step.settings.items():
        read[name] = set_pragma(db, name, value)
    if "journal_mode" in step.settings and read["journal_mode"].lower() != step.settings["journal_mode"].lower():
        raise SettingRefused(f"journal_mode stayed {read['journal_mode']} (asked: {step.settings['journal_mode']}); "
                             "another connection may hold the database open in a mode that prevents the change")
    with db.transaction():
        history.record(db, plan, step, "applied", checkpoint=json.dumps(read, sort_keys=True))
    return read


def set_pragma(db: Database, name: str, value: str) -> str:
    """Set one PRAGMA and return its value as read back (PRAGMA takes no bound parameters: quoted instead)."""
    q = db.dialect.quote
    db.execute(f"PRAGMA {q(name)} = {db.dialect.literal(value)}")
    rows = db.query(f"PRAGMA {q(name)}")
    return str(rows[0][0]) if rows else ""


def pragma_statements(settings: dict[str, str]) -> tuple[str, ...]:
    """The settings as the PRAGMA statements `set_pragma` runs, for dry runs and plan.md."""
    return tuple(f"PRAGMA {name} = {value}" for name, value in settings.items())


def run_config(db: Database, plan: Plan, step: ConfigStep) -> int:
    """Check every setting of the step against the server; record the step. Returns how many were checked."""
    if step.settings:
        if db.dialect.name != "postgres":
            raise SettingRefused(f"step {step.id} checks PostgreSQL settings; this target is {db.dialect.name}")
        known = {row[0]: row[1:] for row in db.query(
            "SELECT name, vartype, unit, min_val, max_val, enumvals FROM pg_settings WHERE name = ANY(%(names)s)",
            {"names": list(step.settings)})}
        for name, value in step.settings.items():
            if name not in known:
                raise SettingRefused(f"files/{_file_of(step, name)}: PostgreSQL knows no setting {name!r}")
            check_setting(name, value, *known[name])
    with db.transaction():
        history.record(db, plan, step, "applied", rows=len(step.settings),
                       checkpoint=json.dumps(sorted(step.files)))
    return len(step.settings)


def _file_of(step: ConfigStep, name: str) -> str:
    return next((f for f, text in step.files.items() if re.search(rf"^{re.escape(name)}\s*=", text, re.M)), "?")


_UNITS = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4,
          "us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_QUANTITY = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def check_setting(name: str, value: str, vartype: str, unit: str | None, min_val: str | None,
                  max_val: str | None, enumvals: list[str] | None) -> None:
    """Raise SettingRefused unless PostgreSQL would accept `value` for the setting (as pg_settings describes
    it: its type, its unit, its bounds, its choices)."""
    def refuse(why: str) -> SettingRefused:
        return SettingRefused(f"{name} = '{value}': {why}")

    if vartype == "bool":
        if value.lower() not in {"on", "off", "true", "false", "yes", "no", "1", "0"}:
            raise refuse("not a boolean (on or off)")
    elif vartype == "enum":
        if enumvals is not None and value.lower() not in {v.lower() for v in enumvals}:
            raise refuse(f"not one of {', '.join(enumvals)}")
    elif vartype in ("integer", "real"):
        match = _QUANTITY.match(value)
        if not match:
            raise refuse("not a number")
        number, given = float(match.group(1)), match.group(2)
        base = _base_unit(unit)
        if given:
            if given not in _UNITS or base is None or (given in ("us", "ms", "s", "min", "h", "d")) != (
                    base[0] in ("us", "ms", "s", "min", "h", "d")):
                raise refuse(f"the unit {given!r} does not fit the setting's unit {unit!r}")
            number = number * _UNITS[given] / (_UNITS[base[0]] * base[1])
        if (min_val is not None and number < float(min_val)) or (max_val is not None and number > float(max_val)):
            raise refuse(f"out of the server's bounds {min_val}..{max_val} {unit or ''}".rstrip())


def _base_unit(unit: str | None) -> tuple[str, int] | None:
    """pg_settings' unit as (unit, multiple): '8kB' -> ('kB', 8)."""
    match = re.match(r"^(\d*)([a-zA-Z]+)$", unit or "")
    return (match.group(2), int(match.group(1) or 1)) if match else None
