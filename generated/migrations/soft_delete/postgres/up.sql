-- dbbasic plan migrations/soft_delete (postgres), up; generated, do not edit.
-- hash: sha256:f85f9e31054c5007d662b648b1e93e229d347177e08ad2a736da3be7ca1cfd77

-- step 1-add-todos.deleted_at
ALTER TABLE "todos" ADD COLUMN "deleted_at" timestamptz;

-- step 2-index-todos_id_live_idx
CREATE INDEX CONCURRENTLY "todos_id_live_idx" ON "todos"("id")
WHERE
  "deleted_at" IS NULL;

-- step 3-view-todos_live
CREATE VIEW "todos_live" AS SELECT * FROM "todos" WHERE "deleted_at" IS NULL;

-- step 4-verify-todos_live
-- check: expect 0
SELECT (SELECT count(*) FROM "todos") - (SELECT count(*) FROM "todos_live");
