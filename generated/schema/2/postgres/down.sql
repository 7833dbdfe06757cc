-- dbbasic plan schema/2 (postgres), down; generated, do not edit.
-- hash: sha256:c35a4ae273e3603e7c29a2d5ea433559efaae91254b0000f6e94767d241bf3b1

-- step 3-validate-projects.color

-- step 2-check-projects.color
ALTER TABLE "projects" DROP CONSTRAINT IF EXISTS "projects_color_check";

-- step 1-add-projects.color
ALTER TABLE "projects" DROP COLUMN "color";
