-- dbbasic plan schema/3 (postgres), up; generated, do not edit.
-- hash: sha256:c280010de5405a83d5c059e6ab9b05601d9f656cfe476e9089b223dd5f92de2b

-- step 1-add-users.organization
ALTER TABLE "users" ADD COLUMN "organization" text;
