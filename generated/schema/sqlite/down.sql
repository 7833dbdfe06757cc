-- dbbasic plan schema (sqlite), down; generated, do not edit.
-- hash: sha256:7f8d697c194542a776f574c3e3e5e6177107e4ba6e6fe6311f63f271d363e75a

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
