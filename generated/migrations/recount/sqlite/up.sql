-- dbbasic plan migrations/recount (sqlite), up; generated, do not edit.
-- hash: sha256:f93faca2e309a345ed89bdb7f47dc8a097e67509683a48b3d20853b4f97bb75e

-- step 1-sql
ALTER TABLE users ADD COLUMN todo_count INTEGER;

-- step 2-batched
UPDATE users SET todo_count = (
  SELECT
    COUNT(*)
  FROM todos
  WHERE
    todos.user_id = users.id
)
WHERE
  id > :after AND id <= :upto;

-- step 3-check
-- check: expect 0
SELECT COUNT(*) FROM users WHERE todo_count IS NULL;
