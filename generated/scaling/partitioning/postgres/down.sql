-- dbbasic plan scaling/partitioning (postgres), down; generated, do not edit.
-- hash: sha256:f1c2d12273dff42f3a146a55d10df7f6d9f97b18d73051d87ba5d840015dc0a6

-- step 8-create-archive
DROP TABLE "todos_archive" CASCADE;

-- step 7-contract
-- no down: this step cannot be undone

-- step 5-swap
LOCK TABLE "todos" IN ACCESS EXCLUSIVE MODE;
DROP TRIGGER "dbbasic_sync_back" ON "todos";
DROP FUNCTION "dbbasic_sync_todos_back"();
DO $dbbasic$
DECLARE
  item record;
  made text;
  views text[][] := ARRAY[]::text[][];
BEGIN
  FOR item IN SELECT DISTINCT v.oid::regclass::text AS view, pg_get_viewdef(v.oid) AS def, v.relkind,
        coalesce(' WITH (' || array_to_string(v.reloptions, ', ') || ')', '') AS options
      FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
      WHERE d.refobjid = '"todos"'::regclass AND v.oid <> d.refobjid LOOP
    IF item.relkind = 'm' THEN
      RAISE EXCEPTION 'materialized view % reads the table: drop it before the swap, make it again after', item.view;
    END IF;
    views := views || ARRAY[[item.view || item.options, item.def]];
  END LOOP;
  -- the table leaving the name: its constraints (their indexes follow), then its other indexes
  FOR item IN SELECT conname AS name FROM pg_constraint WHERE conrelid = '"todos"'::regclass
      AND contype IN ('p', 'f', 'u', 'x') LOOP
    made := 'dbbasic_' || left(md5('todos' || ':' || item.name), 20) || '__new';
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', '"todos"', item.name, made);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = '"todos"'::regclass AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = c.oid
        AND k.conrelid = i.indrelid) LOOP
    made := 'dbbasic_' || left(md5('todos' || ':' || item.name), 20) || '__new';
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, made);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = '"todos"'::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, 'todos__new' || substr(item.name, 6));
  END LOOP;
  EXECUTE format('ALTER TABLE %I RENAME TO %I', 'todos', 'todos__new');
  EXECUTE format('ALTER TABLE %I RENAME TO %I', 'todos__old', 'todos');
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = '"todos"'::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, 'todos' || substr(item.name, 11));
  END LOOP;
  -- the table taking the name: its constraints and indexes get the names they stand for
  FOR item IN SELECT k.conname AS name, m.original FROM pg_constraint k
      JOIN dbbasic_partition_names m ON m.temporary = k.conname WHERE k.conrelid = '"todos"'::regclass LOOP
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', '"todos"', item.name, item.original);
  END LOOP;
  FOR item IN SELECT c.relname AS name, m.original FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN dbbasic_partition_names m ON m.temporary = c.relname WHERE i.indrelid = '"todos"'::regclass LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, item.original);
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = '"todos"'::regclass LOOP
    EXECUTE format('ALTER TABLE %I RESET (autovacuum_enabled)', item.name);  -- off since the copy began
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(views, 1), 0) LOOP
    EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', views[i][1], views[i][2]);
  END LOOP;
  FOR item IN SELECT attname AS col FROM pg_attribute WHERE attrelid = '"todos"'::regclass
      AND attidentity <> '' LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %I), 0) + 1, false)',
                   '"todos"', item.col, item.col, 'todos');
  END LOOP;
END $dbbasic$;
CREATE FUNCTION "dbbasic_sync_todos"() RETURNS trigger LANGUAGE plpgsql AS $dbbasic$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM "todos__new" WHERE "id" = OLD."id" AND "user_id" = OLD."user_id";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "todos__new" OVERRIDING SYSTEM VALUE SELECT NEW.*;
  END IF;
  RETURN NULL;
END $dbbasic$;
CREATE TRIGGER "dbbasic_sync" AFTER INSERT OR UPDATE OR DELETE ON "todos" FOR EACH ROW EXECUTE FUNCTION "dbbasic_sync_todos"();

-- step 3-copy

-- step 2-sync-writes
DROP TRIGGER IF EXISTS "dbbasic_sync" ON "todos";
DROP FUNCTION IF EXISTS "dbbasic_sync_todos"();
ALTER TABLE "todos" RESET (autovacuum_enabled);

-- step 1-create-partitioned
DROP TABLE IF EXISTS "todos__new" CASCADE;
