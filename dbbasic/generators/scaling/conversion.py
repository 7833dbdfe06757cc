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
    column = table.field(pset.column)
    if column is not None and not column.required and (pset.column,) != table.primary_key:
        found.append(f"{table.name}.{pset.column} may be empty (NULL), and a partition key is part of the "
                     f"primary key: make it `required: true` first")
    longest = f"{table.name}{NEW}_p{max(0, (pset.partitions or 1) - 1):02d}"
    if len(longest.encode()) > (PG.max_identifier_bytes or 63):
        found.append(f"{table.name}: the conversion's partitions ({longest}) would be longer than PostgreSQL "
                     f"keeps ({PG.max_identifier_bytes} bytes); shorten the table's name")
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
        _refuse_what_the_copy_loses(name),
        f"CREATE TABLE {q(new)} (LIKE {q(name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY "
        f"INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY {pset.method.upper()} ({q(pset.column)})",
        *(f"{p} WITH (autovacuum_enabled = off)" for p in child_partitions(new, pset, table)),
        NAMES_TABLE,
        _copy_keys_indexes_and_grants(name, new, [key] if key == pset.column else [key, pset.column])],
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


NAMES_TABLE = ("CREATE TABLE IF NOT EXISTS dbbasic_partition_names (temporary text PRIMARY KEY, "
               "original text NOT NULL)")
"""A conversion's own names for the indexes and constraints of the table it is not (yet) called by: short
and fixed (`dbbasic_<md5>__new`), so that no suffix is ever cut at 63 bytes; what each stands for, for the swap."""


def _temporary(table: str, name: str, suffix: str) -> str:
    """SQL for the temporary name of the index or constraint `name` (SQL) of `table`: 'dbbasic_<md5>' + suffix."""
    return f"'dbbasic_' || left(md5({PG.literal(table)} || ':' || {name}), 20) || {PG.literal(suffix)}"


def _refuse_what_the_copy_loses(source: str) -> str:
    """A DO block that stops the conversion before anything is made when the table has what a copy made
    LIKE it would not carry: generated columns (the copy writes every column), row-level security and its
    policies, triggers of its own, rules."""
    src = PG.literal(PG.quote(source))
    return f"""DO $dbbasic$
DECLARE
  found text;
BEGIN
  SELECT string_agg(what, '; ') INTO found FROM (
    SELECT 'generated column ' || attname AS what FROM pg_attribute
      WHERE attrelid = {src}::regclass AND attgenerated <> '' AND NOT attisdropped
    UNION ALL SELECT 'row-level security' FROM pg_class WHERE oid = {src}::regclass AND relrowsecurity
    UNION ALL SELECT 'policy ' || polname FROM pg_policy WHERE polrelid = {src}::regclass
    UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = {src}::regclass AND NOT tgisinternal
    UNION ALL SELECT 'rule ' || rulename FROM pg_rules WHERE tablename = {PG.literal(source)}
      AND schemaname = current_schema()) AS kept_by_no_copy;
  IF found IS NOT NULL THEN
    RAISE EXCEPTION 'the table has what the partitioned copy would not keep: %; remove it for the conversion, and '
      'make it again on the partitioned table', found;
  END IF;
END $dbbasic$"""


def _copy_keys_indexes_and_grants(source: str, target: str, key: list[str]) -> str:
    """A DO block that gives `target` the primary key `key`, each index and foreign key of `source` (under
    temporary names, recorded in dbbasic_partition_names), and its owner and grants."""
    src, dst = PG.literal(PG.quote(source)), PG.literal(PG.quote(target))
    columns = PG.literal(", ".join(PG.quote(k) for k in key))
    return f"""DO $dbbasic$
DECLARE
  item record;
  was text;
  made text;
  prefix text;
BEGIN
  SELECT conname INTO was FROM pg_constraint WHERE conrelid = {src}::regclass AND contype = 'p';
  made := {_temporary(source, "was", NEW)};
  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (%s)', {dst}, made, {columns});
  INSERT INTO dbbasic_partition_names VALUES (made, was)
    ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  FOR item IN SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS is_unique,
      quote_ident(n.nspname) || '.' || quote_ident(t.relname) AS qualified, quote_ident(t.relname) AS bare
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE i.indrelid = {src}::regclass AND NOT i.indisprimary LOOP
    IF item.is_unique THEN
      RAISE EXCEPTION 'unique index % cannot be copied onto the partitioned table: it lacks the partition column',
        item.name;
    END IF;
    prefix := 'CREATE INDEX ' || quote_ident(item.name) || ' ON ';
    IF starts_with(item.def, prefix || item.qualified || ' ') THEN
      prefix := prefix || item.qualified;
    ELSIF starts_with(item.def, prefix || item.bare || ' ') THEN
      prefix := prefix || item.bare;
    ELSE
      RAISE EXCEPTION 'index % reads as %, which this conversion cannot copy', item.name, item.def;
    END IF;
    made := {_temporary(source, "item.name", NEW)};
    EXECUTE format('CREATE INDEX %I ON %s', made, {dst}) || substr(item.def, length(prefix) + 1);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  FOR item IN SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = {src}::regclass AND contype = 'f' LOOP
    made := {_temporary(source, "item.name", NEW)};
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', {dst}, made, item.def);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  -- who may read and write it: the owner, then each grant on the table and on its columns
  EXECUTE format('ALTER TABLE %s OWNER TO %I', {dst}, (SELECT pg_get_userbyid(relowner) FROM pg_class
                                                      WHERE oid = {src}::regclass));
  FOR item IN SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(
        pg_get_userbyid(a.grantee)) END AS grantee, a.is_grantable
      FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = {src}::regclass AND a.grantee <> c.relowner LOOP
    EXECUTE format('GRANT %s ON %s TO %s%s', item.privilege_type, {dst}, item.grantee,
                   CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  FOR item IN SELECT t.attname, a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(
        pg_get_userbyid(a.grantee)) END AS grantee
      FROM pg_attribute t, aclexplode(t.attacl) a WHERE t.attrelid = {src}::regclass AND t.attacl IS NOT NULL LOOP
    EXECUTE format('GRANT %s (%I) ON %s TO %s', item.privilege_type, item.attname, {dst}, item.grantee);
  END LOOP;
END $dbbasic$"""


def _swap(name: str, incoming: str, outgoing: str) -> str:
    """A DO block: `name` becomes `outgoing` and `incoming` becomes `name`. The indexes and constraints of the
    table leaving the name take temporary names (recorded), those of the one taking it get their names back;
    partitions are renamed alike; views on the table are rebound to the one now named `name`, with their
    options; identities are set above the keys."""
    lit = PG.literal
    table = lit(PG.quote(name))
    suffix_out = outgoing[len(name):]
    return f"""DO $dbbasic$
DECLARE
  item record;
  made text;
  views text[][] := ARRAY[]::text[][];
BEGIN
  FOR item IN SELECT DISTINCT v.oid::regclass::text AS view, pg_get_viewdef(v.oid) AS def, v.relkind,
        coalesce(' WITH (' || array_to_string(v.reloptions, ', ') || ')', '') AS options
      FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
      WHERE d.refobjid = {table}::regclass AND v.oid <> d.refobjid LOOP
    IF item.relkind = 'm' THEN
      RAISE EXCEPTION 'materialized view % reads the table: drop it before the swap, make it again after', item.view;
    END IF;
    views := views || ARRAY[[item.view || item.options, item.def]];
  END LOOP;
  -- the table leaving the name: its constraints (their indexes follow), then its other indexes
  FOR item IN SELECT conname AS name FROM pg_constraint WHERE conrelid = {table}::regclass
      AND contype IN ('p', 'f', 'u', 'x') LOOP
    made := {_temporary(name, "item.name", suffix_out)};
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', {table}, item.name, made);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = {table}::regclass AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = c.oid
        AND k.conrelid = i.indrelid) LOOP
    made := {_temporary(name, "item.name", suffix_out)};
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, made);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = {table}::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, {lit(outgoing)} || substr(item.name, {len(name) + 1}));
  END LOOP;
  EXECUTE format('ALTER TABLE %I RENAME TO %I', {lit(name)}, {lit(outgoing)});
  EXECUTE format('ALTER TABLE %I RENAME TO %I', {lit(incoming)}, {lit(name)});
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = {table}::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, {lit(name)} || substr(item.name, {len(incoming) + 1}));
  END LOOP;
  -- the table taking the name: its constraints and indexes get the names they stand for
  FOR item IN SELECT k.conname AS name, m.original FROM pg_constraint k
      JOIN dbbasic_partition_names m ON m.temporary = k.conname WHERE k.conrelid = {table}::regclass LOOP
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', {table}, item.name, item.original);
  END LOOP;
  FOR item IN SELECT c.relname AS name, m.original FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN dbbasic_partition_names m ON m.temporary = c.relname WHERE i.indrelid = {table}::regclass LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, item.original);
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = {table}::regclass LOOP
    EXECUTE format('ALTER TABLE %I RESET (autovacuum_enabled)', item.name);  -- off since the copy began
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(views, 1), 0) LOOP
    EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', views[i][1], views[i][2]);
  END LOOP;
  FOR item IN SELECT attname AS col FROM pg_attribute WHERE attrelid = {table}::regclass
      AND attidentity <> '' LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %I), 0) + 1, false)',
                   {table}, item.col, item.col, {lit(name)});
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
