-- dbbasic plan schema (postgres), down; generated, do not edit.
-- hash: sha256:2f3b37f623ab235681096a16d4169a0dbecbe1743e1fef18bd9712003c6397e1

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
