-- dbbasic plan migrations/recount (sqlite), up; generated, do not edit.
-- hash: sha256:9e53d238d101db38c426db7b1010bc29f3b9a7af6c9dddc4a16c151fc09bd293

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
