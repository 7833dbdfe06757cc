"""Compile a `move:` migration (a whole SQLite database to PostgreSQL) into a plan that runs on the destination.

    plan = compile_move(migration, read_sqlite_schema(source_db), Dialect.get("postgres"))

The source is read when the plan is made (`dbbasic plan`), as a reviewer will see it: `move_schema.py`
chooses each column's type from its declaration and the values stored, and every decision is listed in the
plan's description (for plan.md); a lossy conversion is an error at the migration before anything is made.
Steps: the tables (without foreign keys or secondary indexes), one copy per table in rowid order with its
checkpoints, then identities, keys, indexes and foreign keys, then one verify per table, then the switch,
which is a person's. Rolling back before the switch drops the destination's tables.

With `cutover: {mode: sync}` the application writes on meanwhile (move_cutover.py): a change log is started
on the source before the copy; after it the log is replayed until the lag is small; each verify compares both
sides at one moment; the cutover step freezes writes, replays the rest, checks, and fences the source. Only
the log's and the fence's triggers are ever written to the source, and rollback removes them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from dbbasic.errors import Problem, SpecError
from dbbasic.generators import move_cutover
from dbbasic.generators.move_cutover import SyncedTable
from dbbasic.generators.move_schema import MoveSchema, convert_schema
from dbbasic.generators.steps import Steps
from dbbasic.plan.model import Plan
from dbbasic.specs.model import Migration
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.source_schema import SourceSchema, SourceTable

NAME = "move"
VERSION = 2


def compile_move(migration: Migration, source: SourceSchema, dialect: Dialect) -> Plan:
    """The plan of a `move:` migration, for the destination's dialect (PostgreSQL)."""
    options = migration.options
    where = (migration.source.file, migration.source.line)
    if dialect.name != "postgres" or source.dialect != "sqlite":
        _fail(migration, f"a move goes from SQLite to PostgreSQL (here: {source.dialect} to {dialect.name})")
    cutover = options.get("cutover", {})
    synced = cutover.get("mode") == "sync"
    schema = convert_schema(source, _casts(options.get("cast")), tuple(options.get("booleans", ())), synced)
    if schema.problems:
        raise SpecError([Problem(*where, 1, "error", "move-lossy", f"migration '{migration.id}': {p}",
                                 "say how in the spec (`cast:`, `booleans:`), or fix the rows in the source")
                         for p in schema.problems])
    frm, to = options["move"]["from"], options["move"]["to"]
    verify = options.get("verify", {})
    tables = [t for t in source.tables if t.name in schema.column_map]
    replayed = [SyncedTable(t, schema.column_map[t.name]).as_data() for t in tables]
    if synced:
        _refuse_unsynced(migration, tables, schema)
    steps = Steps(dialect)
    q = dialect.quote
    if synced:
        up, down = move_cutover.change_log(tables)
        steps.capture("capture-changes", frm, move_cutover.LOG, up, down,
                      f"Record the key of every row written to {frm} from now until the switch")
    steps.ddl("create-tables", list(schema.create), [f"DROP TABLE {q(t.name)} CASCADE" for t in reversed(tables)],
              f"Create the {len(tables)} tables of {frm} (keys and checks; foreign keys and indexes after the data)")
    for table in tables:
        moved = schema.column_map[table.name]
        steps.copy(f"copy-{_slug(table.name)}", frm, table.name, table.row_key, [c.name for c in moved],
                   [c.source_sql for c in moved], [], f"Copy {table.name} ({table.row_count} rows when planned)")
    if synced:
        steps.sync("catch-up", frm, move_cutover.LOG, replayed, int(cutover.get("max_lag_rows", 0)),
                   f"Replay the rows written to {frm} during the copy, until at most "
                   f"{int(cutover.get('max_lag_rows', 0))} changes wait")
    # Later steps undo nothing of their own: rolling back ends with the first step's DROP TABLE, which takes
    # the rows, keys, indexes and foreign keys with it.
    steps.ddl("keys-indexes-foreign-keys", list(schema.after_data), [],
              "Identities restarted above the copied keys, unique keys, indexes, then foreign keys NOT VALID")
    if schema.validate:
        steps.ddl("validate-foreign-keys", list(schema.validate), [],
                  "Each foreign key checked against the copied rows (writes go on meanwhile)")
    if verify.get("counts", True) or verify.get("checksums", True):
        for table in tables:
            steps.verify(f"verify-{_slug(table.name)}", frm, table.name, table.primary_key,
                         [(c.name, c.postgres_type, c.source_sql) for c in schema.column_map[table.name]],
                         int(verify.get("sample", 0)), f"{table.name} here is {table.name} in {frm}, row for row",
                         move_cutover.LOG if synced else "")
    if synced:
        freeze = cutover.get("freeze", "lock")
        if freeze == "manual":
            steps.manual("stop-writes", f"Stop the application's writes to {frm} (the next step replays the last "
                         "of them, checks, and makes its tables refuse writes)", "The write freeze begins")
        fence, unfence = move_cutover.fence(tables, migration.id, to)
        steps.cutover("cutover", frm, move_cutover.LOG, replayed, freeze, list(schema.identities), fence, unfence,
                      f"The write freeze: {'lock ' + frm + ', ' if freeze == 'lock' else ''}replay the last "
                      f"changes, compare, set identities, make {frm} refuse writes")
        steps.manual("switch", f"Point the application at {to}: {frm} refuses writes since the cutover",
                     "The switch is the application's: every row written to the source is here, checked")
    else:
        steps.manual("switch", f"Stop the application's writes to {frm}, then point it at {to}",
                     "The switch is the application's: dbbasic has copied and verified everything up to here")
    return Plan(id=migration.id, task=migration.task, description=_description(migration, schema, synced),
                dialect=dialect.name, source=migration.source, generator=NAME, generator_version=VERSION,
                steps=tuple(steps.steps))


def _refuse_unsynced(migration: Migration, tables: list[SourceTable], schema: MoveSchema) -> None:
    reasons = [why for t in tables if (why := move_cutover.unsynced(t, schema.column_map[t.name]))]
    if reasons:
        where = migration.source
        raise SpecError([Problem(where.file, where.line, 1, "error", "move-sync", f"migration '{migration.id}': "
                                 f"{why}", "give the table a primary key in SQLite, or move with `cutover: {mode: "
                                 "offline}` (writes stopped during the copy)") for why in reasons])


def _casts(given: Any) -> dict[str, str]:
    """`cast:` as a mapping, or a list of one-key mappings (the schema allows both)."""
    pairs = given.items() if isinstance(given, dict) else [kv for item in given or [] for kv in item.items()]
    return {str(k): str(v) for k, v in pairs}


def _description(migration: Migration, schema: MoveSchema, synced: bool) -> str:
    lines = [migration.description] if migration.description else []
    if synced:
        lines += ["Synced cutover: the application writes to the source until the cutover step. Foreign keys are "
                  "DEFERRABLE INITIALLY IMMEDIATE (checked as usual, except in the replay, which writes a moment "
                  "of the source in one transaction and has them checked at its commit).", ""]
    lines += ["Conversions (from SQLite's declared type and the values stored):", ""]
    lines += [f"- `{d.table}{'.' + d.column if d.column else ''}`: {d.sqlite_type or 'no type'} -> "
              f"{d.postgres_type or '-'}: {d.why}" for d in schema.decisions]
    return "\n".join(lines)


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-") or "table"


def _fail(migration: Migration, message: str) -> NoReturn:
    raise SpecError([Problem(migration.source.file, migration.source.line, 1, "error", "move",
                             f"migration '{migration.id}': {message}", "see docs/architecture.md (engine moves)")])
