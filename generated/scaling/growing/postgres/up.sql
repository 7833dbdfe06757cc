-- dbbasic plan scaling/growing (postgres), up; generated, do not edit.
-- hash: sha256:774b84fbbbdad567360c92e6ecd50358ba16757399cee3a1eee9a0f9c4df03bd

-- step 1-reached
-- gate: tier growing goes on once users >= 1000
SELECT count(*) FROM "users";

-- step 2-server-files
-- config: files/pgbouncer.ini

-- step 3-install
-- manual: Tier growing: install PgBouncer with files/pgbouncer.ini (fill its userlist.txt), point the app servers at port 6432

-- step 4-servers
-- manual: Run 2-5 application servers behind a load balancer, scaled on CPU and request latency; keep them stateless (sessions in the database or the cache); connect them through PgBouncer (port 6432), not straight to PostgreSQL.

-- step 5-cache
-- manual: Cache `redis`: Run Redis (managed, or one server with persistence off and maxmemory-policy allkeys-lru); cache read-mostly queries in the app with a TTL; invalidate on write; alert on hit rate and evictions.
