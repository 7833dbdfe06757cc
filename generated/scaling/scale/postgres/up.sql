-- dbbasic plan scaling/scale (postgres), up; generated, do not edit.
-- hash: sha256:aafc225d492876c77cd42e6c4303cbf3402f3a1353dc1877791c1fc107a8373f

-- step 1-reached
-- gate: tier scale goes on once users >= 10000
SELECT count(*) FROM "users";

-- step 2-server-files
-- config: files/dbbasic.conf
-- config: files/pgbouncer.ini
-- config: files/replica_1/standby.signal
-- config: files/replica_1/postgresql.auto.conf
-- config: files/replica_2/standby.signal
-- config: files/replica_2/postgresql.auto.conf
-- config: files/replica_3/standby.signal
-- config: files/replica_3/postgresql.auto.conf
-- config: files/pg_hba.conf.lines

-- step 3-replication
DO $dbbasic$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') THEN CREATE ROLE "replicator" WITH REPLICATION LOGIN; END IF; END $dbbasic$;
SELECT
  PG_CREATE_PHYSICAL_REPLICATION_SLOT('dbbasic_replica_1')
WHERE
  NOT EXISTS(
    SELECT
    FROM pg_replication_slots
    WHERE
      slot_name = 'dbbasic_replica_1'
  );
SELECT
  PG_CREATE_PHYSICAL_REPLICATION_SLOT('dbbasic_replica_2')
WHERE
  NOT EXISTS(
    SELECT
    FROM pg_replication_slots
    WHERE
      slot_name = 'dbbasic_replica_2'
  );
SELECT
  PG_CREATE_PHYSICAL_REPLICATION_SLOT('dbbasic_replica_3')
WHERE
  NOT EXISTS(
    SELECT
    FROM pg_replication_slots
    WHERE
      slot_name = 'dbbasic_replica_3'
  );

-- step 4-install
-- manual: Tier scale: copy files/dbbasic.conf beside postgresql.conf, add `include = 'dbbasic.conf'`, restart PostgreSQL; install PgBouncer with files/pgbouncer.ini (fill its userlist.txt), point the app servers at port 6432; set up replicas 1-3 as the runbook below says

-- step 5-servers
-- manual: Run 5-20 application servers behind a load balancer, scaled on CPU and request latency; keep them stateless (sessions in the database or the cache); connect them through PgBouncer (port 6432), not straight to PostgreSQL.

-- step 6-cache
-- manual: Cache `edge_cdn`: Put a CDN in front of the app: cache static assets and public GET responses with Cache-Control; send Vary on what changes them; purge on deploy; keep Redis for the app's own cache.
