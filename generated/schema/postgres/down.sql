-- dbbasic plan schema (postgres), down; generated, do not edit.
-- hash: sha256:1218dacf6198a94263bf56785a8e08f7ce8d3d87141dfed71027093996f5f27d

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
