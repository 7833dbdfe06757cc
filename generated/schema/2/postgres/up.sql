-- dbbasic plan schema/2 (postgres), up; generated, do not edit.
-- hash: sha256:c35a4ae273e3603e7c29a2d5ea433559efaae91254b0000f6e94767d241bf3b1

-- step 1-add-projects.color
ALTER TABLE "projects" ADD COLUMN "color" text NOT NULL DEFAULT '#888888';

-- step 2-check-projects.color
ALTER TABLE "projects" ADD CONSTRAINT "projects_color_check" CHECK (char_length("color") <= 7) NOT VALID;

-- step 3-validate-projects.color
ALTER TABLE "projects" VALIDATE CONSTRAINT "projects_color_check";
