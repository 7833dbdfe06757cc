-- dbbasic plan migrations/recount (postgres), up; generated, do not edit.
-- hash: sha256:bd96bf3705ad278b157567be3328bba8723466f8e31e790313ae758b7f725342

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
