-- dbbasic plan scaling/enterprise (sqlite), up; generated, do not edit.
-- hash: sha256:78265929d6a808cdc2417039c031342ed51459f63db731d6b199bafaf915b02e

-- step 1-reached
-- gate: tier enterprise goes on once users >= 100000
SELECT count(*) FROM "users";

-- step 2-on-postgresql
-- manual: Tier enterprise runs on PostgreSQL: apply its PostgreSQL plan

-- step 3-deployment
-- manual: Deploy to several regions (the regions you serve): app servers and a read replica or Citus worker group per region, DNS or anycast routing to the nearest, writes sent to the primary's region, a failover drill before it is needed.

-- step 4-cache
-- manual: Cache `global_edge`: Serve reads from edge locations in every region: cache keys that include the tenant, short TTLs with stale-while-revalidate, purge by tag on write.
