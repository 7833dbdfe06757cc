-- dbbasic plan schema (sqlite), down; generated, do not edit.
-- hash: sha256:dffb813bc087a12ddf22c0b26f69f12fd7668bbf339400bb147e64b87492c5bd

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
