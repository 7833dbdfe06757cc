-- dbbasic plan scaling/growing (sqlite), up; generated, do not edit.
-- hash: sha256:973a9752842a05c2f70e570f17f4762f6a563fdb3b173c6451f3c3e63b123660

-- step 1-reached
-- gate: tier growing goes on once users >= 1000
SELECT count(*) FROM "users";

-- step 2-move-to-postgresql
-- manual: Tier growing needs PostgreSQL (servers auto_scale(2-5)): move the database with a `move:` migration (docs/move.md), then apply this tier's PostgreSQL plan

-- step 3-servers
-- manual: Run 2-5 application servers behind a load balancer, scaled on CPU and request latency; keep them stateless (sessions in the database or the cache); connect them through PgBouncer (port 6432), not straight to PostgreSQL.

-- step 4-cache
-- manual: Cache `redis`: Run Redis (managed, or one server with persistence off and maxmemory-policy allkeys-lru); cache read-mostly queries in the app with a TTL; invalidate on write; alert on hit rate and evictions.
