-- dbbasic plan migrations/soft_delete (sqlite), down; generated, do not edit.
-- hash: sha256:d92e0f9c0b3fc9b64ccb5724e14f3ec0f9fef332750242b2bb65a506379055fd

-- step 3-view-todos_live
DROP VIEW IF EXISTS "todos_live";

-- step 2-index-todos_id_live_idx
DROP INDEX IF EXISTS "todos_id_live_idx";

-- step 1-add-todos.deleted_at
ALTER TABLE "todos" DROP COLUMN "deleted_at";
