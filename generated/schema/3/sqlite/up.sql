-- dbbasic plan schema/3 (sqlite), up; generated, do not edit.
-- hash: sha256:e5a726ff81999e2f4cd4901c2e5a6ea8e4a5761343b94268c0e03d2a2f042ef5

-- step 1-add-users.organization
ALTER TABLE "users" ADD COLUMN "organization" TEXT;
