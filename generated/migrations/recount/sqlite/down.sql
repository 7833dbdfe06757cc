-- dbbasic plan migrations/recount (sqlite), down; generated, do not edit.
-- hash: sha256:7419bf0a197aaf8de01ed8779c3b9a5eaad6fb0cd6ea2868168f3e246daa6a0f

-- step 2-batched
-- no down: this step cannot be undone

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
