-- dbbasic plan migrations/recount (postgres), up; generated, do not edit.
-- hash: sha256:d63e030e9ccbb09e622743c998c413ff3f639c513773dd9c2e18f7e4584717fe

-- step 1-sql
ALTER TABLE users ADD COLUMN todo_count integer;

-- step 2-batched
UPDATE users SET todo_count = (
  SELECT
    COUNT(*)
  FROM todos
  WHERE
    todos.user_id = users.id
)
WHERE
  id > %(after)s AND id <= %(upto)s;

-- step 3-check
-- check: expect 0
SELECT count(*) FROM users WHERE todo_count IS NULL;
