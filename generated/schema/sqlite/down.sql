-- dbbasic plan schema (sqlite), down; generated, do not edit.
-- hash: sha256:cbd48e3ceac7092e78148890da9f2669bedebcb3dbf860e35125330eee0e5894

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
