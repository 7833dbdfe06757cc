-- dbbasic plan migrations/recount (sqlite), down; generated, do not edit.
-- hash: sha256:b644b42d2180874f0c5255f90921c77519e7f535a4131fa733c66db54f46fd6a

-- step 2-batched
UPDATE users SET todo_count = NULL;

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
