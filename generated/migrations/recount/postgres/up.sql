-- dbbasic plan migrations/recount (postgres), up; generated, do not edit.
-- hash: sha256:6bb510b165e511b708cd2a7c9c5b87f5ce99de905ae7d17bfdb94672d51a478d

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
