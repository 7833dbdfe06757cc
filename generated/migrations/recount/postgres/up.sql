-- dbbasic plan migrations/recount (postgres), up; generated, do not edit.
-- hash: sha256:da949d98a3fa211a568bc2bf517ca26f6e15d8a25c17465384e0bcb54bb66f21

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
