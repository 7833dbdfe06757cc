-- dbbasic plan schema/2 (sqlite), down; generated, do not edit.
-- hash: sha256:bad4625e8b50968f329b865a7c1f280cb9e45529e1fb47606736cff44886297d

-- step 1-add-projects.color
ALTER TABLE "projects" DROP COLUMN "color";
