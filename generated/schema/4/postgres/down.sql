-- dbbasic plan schema/4 (postgres), down; generated, do not edit.
-- hash: sha256:26b352c29356c99cdc3c3ff435f8f41c010b4ea331ec4868082250e12a89bd11

-- step 1-add-todos.completed_at
ALTER TABLE "todos" DROP COLUMN "completed_at";
