-- dbbasic plan migrations/recount (sqlite), up; generated, do not edit.
-- hash: sha256:7419bf0a197aaf8de01ed8779c3b9a5eaad6fb0cd6ea2868168f3e246daa6a0f

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
