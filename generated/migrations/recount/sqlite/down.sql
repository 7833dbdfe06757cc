-- dbbasic plan migrations/recount (sqlite), down; generated, do not edit.
-- hash: sha256:d246ce39ba754ee4effdd4a392b8bd316d9bdcf2283d28567761cc981196e2d5

-- step 2-batched
-- no down: this step cannot be undone

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
