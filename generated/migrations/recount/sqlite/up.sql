-- dbbasic plan migrations/recount (sqlite), up; generated, do not edit.
-- hash: sha256:d246ce39ba754ee4effdd4a392b8bd316d9bdcf2283d28567761cc981196e2d5

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
