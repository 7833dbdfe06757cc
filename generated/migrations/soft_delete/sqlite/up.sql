-- dbbasic plan migrations/soft_delete (sqlite), up; generated, do not edit.
-- hash: sha256:d92e0f9c0b3fc9b64ccb5724e14f3ec0f9fef332750242b2bb65a506379055fd

-- step 1-add-todos.deleted_at
ALTER TABLE "todos" ADD COLUMN "deleted_at" TEXT;

-- step 2-index-todos_id_live_idx
CREATE INDEX "todos_id_live_idx" ON "todos" ("id") WHERE "deleted_at" IS NULL;

-- step 3-view-todos_live
CREATE VIEW "todos_live" AS SELECT * FROM "todos" WHERE "deleted_at" IS NULL;

-- step 4-verify-todos_live
-- check: expect 0
SELECT (SELECT count(*) FROM "todos") - (SELECT count(*) FROM "todos_live");
