-- dbbasic plan schema (postgres), down; generated, do not edit.
-- hash: sha256:dd8cf9be7997f372fb186d78413c36af52a4a7c98080a3150c39632fd5097ee6

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
