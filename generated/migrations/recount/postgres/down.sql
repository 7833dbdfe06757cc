-- dbbasic plan migrations/recount (postgres), down; generated, do not edit.
-- hash: sha256:da949d98a3fa211a568bc2bf517ca26f6e15d8a25c17465384e0bcb54bb66f21

-- step 2-batched
-- no down: this step cannot be undone

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
