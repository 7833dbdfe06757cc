-- dbbasic plan schema (sqlite), down; generated, do not edit.
-- hash: sha256:0868edac92ee1efc5744b80aedd9f7945b2cd7c7372ca468e4cbfe6df1d3ec80

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
