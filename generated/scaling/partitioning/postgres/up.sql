-- dbbasic plan scaling/partitioning (postgres), up; generated, do not edit.
-- hash: sha256:f1c2d12273dff42f3a146a55d10df7f6d9f97b18d73051d87ba5d840015dc0a6

-- step 1-create-partitioned
DO $dbbasic$
DECLARE
  found text;
BEGIN
  SELECT string_agg(what, '; ') INTO found FROM (
    SELECT 'generated column ' || attname AS what FROM pg_attribute
      WHERE attrelid = '"todos"'::regclass AND attgenerated <> '' AND NOT attisdropped
    UNION ALL SELECT 'row-level security' FROM pg_class WHERE oid = '"todos"'::regclass AND relrowsecurity
    UNION ALL SELECT 'policy ' || polname FROM pg_policy WHERE polrelid = '"todos"'::regclass
    UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = '"todos"'::regclass AND NOT tgisinternal
    UNION ALL SELECT 'rule ' || rulename FROM pg_rules WHERE tablename = 'todos'
      AND schemaname = current_schema()) AS kept_by_no_copy;
  IF found IS NOT NULL THEN
    RAISE EXCEPTION 'the table has what the partitioned copy would not keep: %; remove it for the conversion, and '
      'make it again on the partitioned table', found;
  END IF;
END $dbbasic$;
CREATE TABLE "todos__new" (
  LIKE "todos" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS
)
PARTITION BY HASH("user_id");
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
CREATE TABLE IF NOT EXISTS dbbasic_partition_names (
  temporary TEXT PRIMARY KEY,
  original TEXT NOT NULL
);
DO $dbbasic$
DECLARE
  item record;
  was text;
  made text;
  prefix text;
BEGIN
  SELECT conname INTO was FROM pg_constraint WHERE conrelid = '"todos"'::regclass AND contype = 'p';
  made := 'dbbasic_' || left(md5('todos' || ':' || was), 20) || '__new';
  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (%s)', '"todos__new"', made, '"id", "user_id"');
  INSERT INTO dbbasic_partition_names VALUES (made, was)
    ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  FOR item IN SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS is_unique,
      quote_ident(n.nspname) || '.' || quote_ident(t.relname) AS qualified, quote_ident(t.relname) AS bare
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE i.indrelid = '"todos"'::regclass AND NOT i.indisprimary LOOP
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
    made := 'dbbasic_' || left(md5('todos' || ':' || item.name), 20) || '__new';
    EXECUTE format('CREATE INDEX %I ON %s', made, '"todos__new"') || substr(item.def, length(prefix) + 1);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  FOR item IN SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = '"todos"'::regclass AND contype = 'f' LOOP
    made := 'dbbasic_' || left(md5('todos' || ':' || item.name), 20) || '__new';
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', '"todos__new"', made, item.def);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  -- who may read and write it: the owner, then each grant on the table and on its columns
  EXECUTE format('ALTER TABLE %s OWNER TO %I', '"todos__new"', (SELECT pg_get_userbyid(relowner) FROM pg_class
                                                      WHERE oid = '"todos"'::regclass));
  FOR item IN SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(
        pg_get_userbyid(a.grantee)) END AS grantee, a.is_grantable
      FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = '"todos"'::regclass AND a.grantee <> c.relowner LOOP
    EXECUTE format('GRANT %s ON %s TO %s%s', item.privilege_type, '"todos__new"', item.grantee,
                   CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  FOR item IN SELECT t.attname, a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(
        pg_get_userbyid(a.grantee)) END AS grantee
      FROM pg_attribute t, aclexplode(t.attacl) a WHERE t.attrelid = '"todos"'::regclass AND t.attacl IS NOT NULL LOOP
    EXECUTE format('GRANT %s (%I) ON %s TO %s', item.privilege_type, item.attname, '"todos__new"', item.grantee);
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
    made := 'dbbasic_' || left(md5('todos' || ':' || item.name), 20) || '__old';
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', '"todos"', item.name, made);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
  END LOOP;
  FOR item IN SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = '"todos"'::regclass AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = c.oid
        AND k.conrelid = i.indrelid) LOOP
    made := 'dbbasic_' || left(md5('todos' || ':' || item.name), 20) || '__old';
    EXECUTE format('ALTER INDEX %I RENAME TO %I', item.name, made);
    INSERT INTO dbbasic_partition_names VALUES (made, item.name)
      ON CONFLICT ON CONSTRAINT dbbasic_partition_names_pkey DO UPDATE SET original = excluded.original;
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
