-- dbbasic plan migrations/recount (sqlite), up; generated, do not edit.
-- hash: sha256:b644b42d2180874f0c5255f90921c77519e7f535a4131fa733c66db54f46fd6a

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
