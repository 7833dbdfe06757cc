-- dbbasic plan scaling/scale (postgres), down; generated, do not edit.
-- hash: sha256:aafc225d492876c77cd42e6c4303cbf3402f3a1353dc1877791c1fc107a8373f

-- step 3-replication
SELECT
  PG_DROP_REPLICATION_SLOT(slot_name)
FROM pg_replication_slots
WHERE
  slot_name = 'dbbasic_replica_1';
SELECT
  PG_DROP_REPLICATION_SLOT(slot_name)
FROM pg_replication_slots
WHERE
  slot_name = 'dbbasic_replica_2';
SELECT
  PG_DROP_REPLICATION_SLOT(slot_name)
FROM pg_replication_slots
WHERE
  slot_name = 'dbbasic_replica_3';
DROP ROLE IF EXISTS "replicator";
