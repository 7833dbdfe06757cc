-- dbbasic plan migrations/recount (postgres), down; generated, do not edit.
-- hash: sha256:bd96bf3705ad278b157567be3328bba8723466f8e31e790313ae758b7f725342

-- step 2-batched
UPDATE users SET todo_count = NULL;

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
