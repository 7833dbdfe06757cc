-- dbbasic plan scaling/partitioning (postgres), up; generated, do not edit.
-- hash: sha256:8870006d7ddb9691a8c3fa67482c9187efb7b3357700c6ec7ddca9089e3ab9bd

-- step 1-create-partitioned
CREATE TABLE "todos__new" (
  LIKE "todos" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS
)
PARTITION BY HASH("user_id");
ALTER TABLE "todos__new" ADD PRIMARY KEY ("id", "user_id");
CREATE TABLE "todos__new_p00"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 0)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p01"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 1)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p02"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 2)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p03"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 3)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p04"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 4)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p05"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 5)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p06"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 6)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p07"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 7)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p08"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 8)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p09"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 9)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p10"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 10)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p11"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 11)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p12"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 12)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p13"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 13)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p14"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 14)
WITH (
  autovacuum_enabled=off
);
CREATE TABLE "todos__new_p15"
PARTITION OF "todos__new" FOR VALUES WITH (MODULUS 16, REMAINDER 15)
WITH (
  autovacuum_enabled=off
);
DO $dbbasic$
DECLARE
  item record;
BEGIN
  FOR item IN SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '"todos"'::regclass AND NOT i.indisprimary LOOP
    IF item.def LIKE 'CREATE UNIQUE%' THEN
      RAISE EXCEPTION 'unique index % cannot be copied onto the partitioned table: it lacks the partition column',
        item.name;
    END IF;
    EXECUTE regexp_replace(item.def, '^CREATE INDEX \S+ ON \S+',
                           format('CREATE INDEX %I ON %s', item.name || '__new', '"todos__new"'));
  END LOOP;
  FOR item IN SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = '"todos"'::regclass AND contype = 'f' LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', '"todos__new"', item.name || '__new', item.def);
  END LOOP;
END $dbbasic$;

-- step 2-sync-writes
ALTER TABLE "todos" SET (autovacuum_enabled = off);
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
INSERT INTO "todos__new" OVERRIDING SYSTEM VALUE (SELECT * FROM "todos" WHERE "id" > %(after)s AND "id" <= %(upto)s FOR SHARE) ON CONFLICT DO NOTHING;

-- step 4-same-rows
-- check: expect 0
SELECT count(*) FROM ((TABLE "todos" EXCEPT ALL TABLE "todos__new") UNION ALL (TABLE "todos__new" EXCEPT ALL TABLE "todos")) AS "differ";

-- step 5-swap
LOCK TABLE "todos" IN ACCESS EXCLUSIVE MODE;
DO $dbbasic$
DECLARE
  item record;
  views text[][] := ARRAY[]::text[][];
BEGIN
  FOR item IN SELECT DISTINCT v.oid::regclass::text AS view, pg_get_viewdef(v.oid) AS def, v.relkind
      FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
      WHERE d.refobjid = '"todos"'::regclass AND v.oid <> d.refobjid LOOP
    IF item.relkind = 'm' THEN
      RAISE EXCEPTION 'materialized view % reads the table: drop it before the swap, make it again after', item.view;
    END IF;
    views := views || ARRAY[[item.view, item.def]];
  END LOOP;
  FOR item IN SELECT conname AS name FROM pg_constraint WHERE conrelid = '"todos"'::regclass
      AND contype IN ('p', 'f', 'u', 'x') LOOP
    EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', 'todos', item.name, item.name || '__old');
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = '"todos"'::regclass AND c.relname NOT LIKE '%' || '__old' LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, item.name || '__old');
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = '"todos"'::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, 'todos__old' || substr(item.name, 6));
  END LOOP;
  EXECUTE format('ALTER TABLE %I RENAME TO %I', 'todos', 'todos__old');
  EXECUTE format('ALTER TABLE %I RENAME TO %I', 'todos__new', 'todos');
  FOR item IN SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = '"todos"'::regclass LOOP
    EXECUTE format('ALTER TABLE %I RENAME TO %I', item.name, 'todos' || substr(item.name, 11));
  END LOOP;
  FOR item IN SELECT conname AS name FROM pg_constraint WHERE conrelid = '"todos"'::regclass
      AND conname LIKE '%' || '__new' LOOP
    EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', 'todos', item.name,
                   left(item.name, -length('__new')));
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = '"todos"'::regclass AND c.relname LIKE '%' || '__new' LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, left(item.name, -length('__new')));
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
DROP TRIGGER "dbbasic_sync" ON "todos__old";
DROP FUNCTION "dbbasic_sync_todos"();
CREATE FUNCTION "dbbasic_sync_todos_back"() RETURNS trigger LANGUAGE plpgsql AS $dbbasic$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM "todos__old" WHERE "id" = OLD."id";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "todos__old" OVERRIDING SYSTEM VALUE SELECT NEW.*;
  END IF;
  RETURN NULL;
END $dbbasic$;
CREATE TRIGGER "dbbasic_sync_back" AFTER INSERT OR UPDATE OR DELETE ON "todos" FOR EACH ROW EXECUTE FUNCTION "dbbasic_sync_todos_back"();

-- step 6-contract-ready
-- manual: Check the application on the partitioned todos; then confirm, and the next step drops todos__old

-- step 7-contract
DROP TRIGGER "dbbasic_sync_back" ON "todos";
DROP FUNCTION "dbbasic_sync_todos_back"();
DROP TABLE "todos__old";

-- step 8-create-archive
CREATE TABLE "todos_archive" (LIKE "todos" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE, "archived_at" timestamptz NOT NULL DEFAULT now()) PARTITION BY RANGE ("archived_at");
ALTER TABLE "todos_archive" ADD PRIMARY KEY ("id", "archived_at");

-- step 9-premake
-- maintain: todos (premake)
