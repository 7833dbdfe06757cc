-- dbbasic plan schema (postgres), down; generated, do not edit.
-- hash: sha256:8b124f94977f39e14f97981a2fa0b84ef4b6b48322083f4471ba404f1f0d6482

-- step 3-create-todos
DROP TABLE "todos";

-- step 2-create-projects
DROP TABLE "projects";

-- step 1-create-users
DROP TABLE "users";
