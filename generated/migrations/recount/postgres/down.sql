-- dbbasic plan migrations/recount (postgres), down; generated, do not edit.
-- hash: sha256:eaaf57d5496b8aaff7c0f9ce45a3969a8e0505c8e4252d8cf3f94ef807f71ee0

-- step 2-batched
-- no down: this step cannot be undone

-- step 1-sql
ALTER TABLE users DROP COLUMN todo_count;
