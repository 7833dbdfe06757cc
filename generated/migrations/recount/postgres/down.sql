-- dbbasic plan migrations/recount (postgres), down; generated, do not edit.
-- hash: sha256:d63e030e9ccbb09e622743c998c413ff3f639c513773dd9c2e18f7e4584717fe

-- step 2-batched
UPDATE users SET todo_count = NULL;

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
