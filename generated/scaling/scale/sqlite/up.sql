-- dbbasic plan scaling/scale (sqlite), up; generated, do not edit.
-- hash: sha256:4830fd2f43c74df90392e6e25595a4c650c4eb65c1cf676648258f5703b2d47f

-- step 1-reached
-- gate: tier scale goes on once users >= 10000
SELECT count(*) FROM "users";

-- step 2-on-postgresql
-- manual: Tier scale runs on PostgreSQL: apply its PostgreSQL plan

-- step 3-servers
-- manual: Run 5-20 application servers behind a load balancer, scaled on CPU and request latency; keep them stateless (sessions in the database or the cache); connect them through PgBouncer (port 6432), not straight to PostgreSQL.

-- step 4-cache
-- manual: Cache `edge_cdn`: Put a CDN in front of the app: cache static assets and public GET responses with Cache-Control; send Vary on what changes them; purge on deploy; keep Redis for the app's own cache.
