-- dbbasic plan migrations/soft_delete (postgres), down; generated, do not edit.
-- hash: sha256:f85f9e31054c5007d662b648b1e93e229d347177e08ad2a736da3be7ca1cfd77

-- step 3-view-todos_live
DROP VIEW IF EXISTS "todos_live";

-- step 2-index-todos_id_live_idx
DROP INDEX CONCURRENTLY IF EXISTS "todos_id_live_idx";

-- step 1-add-todos.deleted_at
ALTER TABLE "todos" DROP COLUMN "deleted_at";
