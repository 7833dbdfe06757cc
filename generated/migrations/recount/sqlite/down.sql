-- dbbasic plan migrations/recount (sqlite), down; generated, do not edit.
-- hash: sha256:9e53d238d101db38c426db7b1010bc29f3b9a7af6c9dddc4a16c151fc09bd293

-- step 2-batched
-- no down: this step cannot be undone

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
