-- dbbasic plan schema (postgres), down; generated, do not edit.
-- hash: sha256:bdb82472cbd411d3146783a0c919ef581f66ce141d89b471b5f9852e42a098fc

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
