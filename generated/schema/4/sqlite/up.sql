-- dbbasic plan schema/4 (sqlite), up; generated, do not edit.
-- hash: sha256:06d04710c452155d38b5abff303356df03cc23b531f8bf903156bbeff275bbc8

-- step 1-add-todos.completed_at
ALTER TABLE "todos" ADD COLUMN "completed_at" TEXT;
