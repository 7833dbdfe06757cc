-- dbbasic plan migrations/recount (sqlite), down; generated, do not edit.
-- hash: sha256:f93faca2e309a345ed89bdb7f47dc8a097e67509683a48b3d20853b4f97bb75e

-- step 2-batched
UPDATE users SET todo_count = NULL;

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
