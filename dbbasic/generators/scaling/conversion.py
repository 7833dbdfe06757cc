"""A table with data converted to a partitioned one while the application writes on, and its archive.

    steps = Steps(Dialect.get("postgres"))
    convert_online(steps, todos, active)      # todos becomes hash-partitioned by user_id, online
    add_archive(steps, todos, archive)        # todos_archive, range-partitioned by month

The conversion, as steps the runner already knows:
1. `<table>__new`: `LIKE <table>` (so the columns, defaults and checks are the live table's, migrations
   included), partitioned, its primary key the table's with the partition column added (PostgreSQL requires
   it of every unique key of a partitioned table), then every index and foreign key of the live table copied
   onto it (a DO block reads them from the catalog);
2. a trigger on the table that repeats each write on `<table>__new`, in the writer's own transaction;
3. a batched copy over the primary key, each batch `FOR SHARE` (a writer of those rows waits for the batch,
   then its trigger finds them) and `ON CONFLICT DO NOTHING` (a row the trigger wrote first is newer);
4. a check that both tables hold the same rows (in one snapshot, which the trigger keeps equal);
5. the swap, under a brief ACCESS EXCLUSIVE lock: renames (table, indexes, constraints), dependent views
   rebound to the new table, identities set above the copied keys, and the trigger turned round: the old
   table, kept as `<table>__old`, now follows the new one, so rolling back loses no write;
6. a person's confirmation, then the contract step drops `<table>__old`.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from dbbasic.generators.steps import Steps
from dbbasic.specs.model import Table
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.partitions import PartitionSet, child_partitions, condition_sql, problems

PG = Dialect.get("postgres")
NEW, OLD = "__new", "__old"


def unknown_columns(table: Table, pset: PartitionSet) -> list[str]:
    """Columns a set's `when:` or `move:` names that the table lacks (the archive's range column aside)."""
    found = []
    for key, text in (("when", pset.when), ("move", pset.move)):
        if text is None:
            continue
        names = {c.name for c in sqlglot.condition(condition_sql(text), dialect=PG.sqlglot_name).find_all(exp.Column)}
        found += [f"partitioning.{table.name}.{pset.name}.{key} names {name}, which is not a field of {table.name}"
                  for name in sorted(names) if table.field(name) is None and name != pset.column]
    return found


def unconvertible(table: Table, pset: PartitionSet, referenced_by: list[str]) -> list[str]:
    """Why the online conversion cannot run for this table (empty: it can): what PostgreSQL would refuse of
    the set (partitions.problems), and what this conversion does not do."""
    found = problems(table, [pset])
    if len(table.primary_key) != 1:
        found.append(f"{table.name}: the copy walks a single-column primary key; this one is "
                     f"({', '.join(table.primary_key) or 'none'})")
    if pset.method == "range":
        found.append(f"partitioning.{table.name}.{pset.name}: an active set by range would need a partition for "
                     "every past period of the rows there; partition it by hash or list, and keep range for the "
                     "archive")
    found += [f"{table.name} is referenced by {ref}: a foreign key needs a unique key of the referenced columns, "
              f"and the partitioned {table.name}'s includes {pset.column}; refer by both, or drop the ref"
              for ref in referenced_by]
    return found


def convert_online(steps: Steps, table: Table, pset: PartitionSet) -> None:
    q, name = PG.quote, table.name
    new, old = name + NEW, name + OLD
    key = table.primary_key[0]
    steps.ddl("create-partitioned", [
        f"CREATE TABLE {q(new)} (LIKE {q(name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED "
        f"INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY {pset.method.upper()} "
        f"({q(pset.column)})",
        f"ALTER TABLE {q(new)} ADD PRIMARY KEY ({q(key)}, {q(pset.column)})" if key != pset.column else
        f"ALTER TABLE {q(new)} ADD PRIMARY KEY ({q(key)})",
        *(f"{p} WITH (autovacuum_enabled = off)" for p in child_partitions(new, pset, table)),
        _copy_indexes_and_foreign_keys(name, new)],
        [f"DROP TABLE IF EXISTS {q(new)} CASCADE"],
        f"{new}: {name} partitioned by {pset.method} ({pset.column})"
        + (f" into {pset.partitions}" if pset.partitions else " (one partition per value)")
        + f"; primary key ({key}, {pset.column}), as PostgreSQL requires the partition column in it")
    function = q(f"dbbasic_sync_{name}")
    # Autovacuum off on both sides until the swap: the swap's lock would wait for a running autovacuum to be
    # cancelled (deadlock_timeout, 1 s), and every writer would queue behind it (measured: bench/partitions.py).
    steps.ddl("sync-writes", [f"ALTER TABLE {q(name)} SET (autovacuum_enabled = off)",
                              _sync_function(function, new, (key, pset.column)),
                              f"CREATE TRIGGER {q('dbbasic_sync')} AFTER INSERT OR UPDATE OR DELETE ON {q(name)} "
                              f"FOR EACH ROW EXECUTE FUNCTION {function}()"],
              [f"DROP TRIGGER IF EXISTS {q('dbbasic_sync')} ON {q(name)}", f"DROP FUNCTION IF EXISTS {function}()",
               f"ALTER TABLE {q(name)} RESET (autovacuum_enabled)"],
              f"Every write to {name} repeated on {new} in the writer's transaction, until the swap")
    steps.batched("copy", name, key, [
        f"INSERT INTO {q(new)} OVERRIDING SYSTEM VALUE (SELECT * FROM {q(name)} WHERE {q(key)} > %(after)s AND "
        f"{q(key)} <= %(upto)s FOR SHARE) ON CONFLICT DO NOTHING"], [],
        f"The rows of {name} copied into {new}, a batch at a time (a writer of a batch's rows waits for it)")
    steps.check("same-rows", f"SELECT count(*) FROM ((TABLE {q(name)} EXCEPT ALL TABLE {q(new)}) UNION ALL "
                             f"(TABLE {q(new)} EXCEPT ALL TABLE {q(name)})) AS {q('differ')}", 0,
                f"{name} and {new} hold the same rows (read in one snapshot)")
    reverse = q(f"dbbasic_sync_{name}_back")
    steps.ddl("swap", [
        f"LOCK TABLE {q(name)} IN ACCESS EXCLUSIVE MODE",
        _swap(name, new, old),
        f"DROP TRIGGER {q('dbbasic_sync')} ON {q(old)}",
        f"DROP FUNCTION {function}()",
        _sync_function(reverse, old, (key,)),
        f"CREATE TRIGGER {q('dbbasic_sync_back')} AFTER INSERT OR UPDATE OR DELETE ON {q(name)} FOR EACH ROW "
        f"EXECUTE FUNCTION {reverse}()"], [
        f"LOCK TABLE {q(name)} IN ACCESS EXCLUSIVE MODE",
        f"DROP TRIGGER {q('dbbasic_sync_back')} ON {q(name)}",
        f"DROP FUNCTION {reverse}()",
        _swap(name, old, new),
        _sync_function(function, new, (key, pset.column)),
        f"CREATE TRIGGER {q('dbbasic_sync')} AFTER INSERT OR UPDATE OR DELETE ON {q(name)} FOR EACH ROW "
        f"EXECUTE FUNCTION {function}()"],
        f"The swap, under a brief lock: {name} is the partitioned table from now on; {old} follows it until the "
        "contract step, so a rollback loses no write")
    steps.manual("contract-ready", f"Check the application on the partitioned {name}; then confirm, and the next "
                 f"step drops {old}", f"{old} is kept, following every write, until a person says it may go")
    steps.ddl("contract", [f"DROP TRIGGER {q('dbbasic_sync_back')} ON {q(name)}", f"DROP FUNCTION {reverse}()",
                           f"DROP TABLE {q(old)}"], None,
              f"{old} dropped: the conversion cannot be rolled back after this")


def add_archive(steps: Steps, table: Table, pset: PartitionSet) -> None:
    """`<table>_archive`: the table's live columns (LIKE) and the range column, range-partitioned; its
    partitions are made by the maintenance step that follows (and by `dbbasic maintain`, from cron)."""
    q, archive = PG.quote, pset.parent
    added = (f", {q(pset.column)} timestamptz NOT NULL DEFAULT now()" if table.field(pset.column) is None else "")
    keys = ", ".join(q(c) for c in dict.fromkeys([*table.primary_key, pset.column]))
    steps.ddl("create-archive", [
        f"CREATE TABLE {q(archive)} (LIKE {q(table.name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING "
        f"GENERATED INCLUDING STORAGE{added}) PARTITION BY RANGE ({q(pset.column)})",
        f"ALTER TABLE {q(archive)} ADD PRIMARY KEY ({keys})"],
        [f"DROP TABLE {q(archive)} CASCADE"],
        f"{archive}: where `dbbasic maintain` moves the rows of {table.name} matching `move:`, one partition per "
        f"{pset.interval}")
    steps.maintain("premake", table.name, [pset.as_data()],
                   f"The partitions of {archive} for this {pset.interval} and {pset.premake} ahead")


def _copy_indexes_and_foreign_keys(source: str, target: str) -> str:
    """A DO block that gives `target` each index (but the primary key's) and each foreign key of `source`,
    named `<name>__new` until the swap renames them."""
    src, dst = PG.literal(PG.quote(source)), PG.literal(PG.quote(target))
    return f"""DO $dbbasic$
DECLARE
  item record;
BEGIN
  FOR item IN SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = {src}::regclass AND NOT i.indisprimary LOOP
    IF item.def LIKE 'CREATE UNIQUE%' THEN
      RAISE EXCEPTION 'unique index % cannot be copied onto the partitioned table: it lacks the partition column',
        item.name;
    END IF;
    EXECUTE regexp_replace(item.def, '^CREATE INDEX \\S+ ON \\S+',
                           format('CREATE INDEX %I ON %s', item.name || '{NEW}', {dst}));
  END LOOP;
  FOR item IN SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = {src}::regclass AND contype = 'f' LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', {dst}, item.name || '{NEW}', item.def);
  END LOOP;
END $dbbasic$"""


def _swap(name: str, incoming: str, outgoing: str) -> str:
    """A DO block: `name` becomes `outgoing` and `incoming` becomes `name`, their indexes and constraints
    renamed alike; views on the table rebound to the one now named `name`; identities set above the keys."""
    lit = PG.literal
    suffix_in = incoming[len(name):]
    suffix_out = outgoing[len(name):]
    return f"""DO $dbbasic$
DECLARE
  item record;
  views text[][] := ARRAY[]::text[][];
BEGIN
  FOR item IN SELECT DISTINCT v.oid::regclass::text AS view, pg_get_viewdef(v.oid) AS def, v.relkind
      FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
      WHERE d.refobjid = {lit(PG.quote(name))}::regclass AND v.oid <> d.refobjid LOOP
    IF item.relkind = 'm' THEN
      RAISE EXCEPTION 'materialized view % reads the table: drop it before the swap, make it again after', item.view;
    END IF;
    views := views || ARRAY[[item.view, item.def]];
  END LOOP;
  FOR item IN SELECT conname AS name FROM pg_constraint WHERE conrelid = {lit(PG.quote(name))}::regclass
      AND contype IN ('p', 'f', 'u', 'x') LOOP
    EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', {lit(name)}, item.name, item.name || {lit(suffix_out)});
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = {lit(PG.quote(name))}::regclass AND c.relname NOT LIKE '%' || {lit(suffix_out)} LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, item.name || {lit(suffix_out)});
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = {lit(PG.quote(name))}::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, {lit(outgoing)} || substr(item.name, {len(name) + 1}));
  END LOOP;
  EXECUTE format('ALTER TABLE %I RENAME TO %I', {lit(name)}, {lit(outgoing)});
  EXECUTE format('ALTER TABLE %I RENAME TO %I', {lit(incoming)}, {lit(name)});
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = {lit(PG.quote(name))}::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, {lit(name)} || substr(item.name, {len(incoming) + 1}));
  END LOOP;
  FOR item IN SELECT conname AS name FROM pg_constraint WHERE conrelid = {lit(PG.quote(name))}::regclass
      AND conname LIKE '%' || {lit(suffix_in)} LOOP
    EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', {lit(name)}, item.name,
                   left(item.name, -length({lit(suffix_in)})));
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = {lit(PG.quote(name))}::regclass AND c.relname LIKE '%' || {lit(suffix_in)} LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, left(item.name, -length({lit(suffix_in)})));
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = {lit(PG.quote(name))}::regclass LOOP
    EXECUTE format('ALTER TABLE %I RESET (autovacuum_enabled)', item.name);  -- off since the copy began
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(views, 1), 0) LOOP
    EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', views[i][1], views[i][2]);
  END LOOP;
  FOR item IN SELECT attname AS col FROM pg_attribute WHERE attrelid = {lit(PG.quote(name))}::regclass
      AND attidentity <> '' LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %I), 0) + 1, false)',
                   {lit(PG.quote(name))}, item.col, item.col, {lit(name)});
  END LOOP;
END $dbbasic$"""


def _sync_function(function: str, target: str, key: tuple[str, ...]) -> str:
    """A trigger function repeating each write on `target` (made LIKE the table: the same columns, in the same
    order), found there by `key`: an update is the old row deleted and the new one written, so a changed key
    moves the row. No ON CONFLICT: the copy holds its rows FOR SHARE, so a write to one of them waits for the
    copy's commit and then finds the copied row; a conflict left would be a bug, and fails the write loudly."""
    q = PG.quote
    match = " AND ".join(f"{q(k)} = OLD.{q(k)}" for k in key)
    return f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $dbbasic$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM {q(target)} WHERE {match};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO {q(target)} OVERRIDING SYSTEM VALUE SELECT NEW.*;
  END IF;
  RETURN NULL;
END $dbbasic$"""
