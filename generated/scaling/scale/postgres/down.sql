-- dbbasic plan scaling/scale (postgres), down; generated, do not edit.
-- hash: sha256:39e25600c0d6d2ab4a61acbf904d14ca64a6f74f27304256733763a03f3effc6

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
