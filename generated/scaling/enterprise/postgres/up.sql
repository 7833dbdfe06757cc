-- dbbasic plan scaling/enterprise (postgres), up; generated, do not edit.
-- hash: sha256:713d1c7671517d60fdc7087baef74edc5de41fb4caef9e25529692e00df8326c

-- step 1-reached
-- gate: tier enterprise goes on once users >= 100000
SELECT count(*) FROM "users";

-- step 2-server-files
-- config: files/dbbasic.conf

-- step 3-fit-the-model
-- manual: Citus would refuse the data model as it is. Change the model (specs/data.yaml), then `dbbasic plan` again: this step becomes the distribution DDL

-- step 4-install
-- manual: Tier enterprise: copy files/dbbasic.conf beside postgresql.conf, add `include = 'dbbasic.conf'`, restart PostgreSQL

-- step 5-deployment
-- manual: Deploy to several regions (the regions you serve): app servers and a read replica or Citus worker group per region, DNS or anycast routing to the nearest, writes sent to the primary's region, a failover drill before it is needed.

-- step 6-cache
-- manual: Cache `global_edge`: Serve reads from edge locations in every region: cache keys that include the tenant, short TTLs with stale-while-revalidate, purge by tag on write.
