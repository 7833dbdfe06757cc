-- dbbasic plan migrations/recount (postgres), down; generated, do not edit.
-- hash: sha256:6bb510b165e511b708cd2a7c9c5b87f5ce99de905ae7d17bfdb94672d51a478d

-- step 2-batched
-- no down: this step cannot be undone

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
