-- dbbasic plan migrations/recount (postgres), up; generated, do not edit.
-- hash: sha256:eaaf57d5496b8aaff7c0f9ce45a3969a8e0505c8e4252d8cf3f94ef807f71ee0

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
