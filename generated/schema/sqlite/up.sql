-- dbbasic plan schema (sqlite), up; generated, do not edit.
-- hash: sha256:dffb813bc087a12ddf22c0b26f69f12fd7668bbf339400bb147e64b87492c5bd

-- step 1-create-users
CREATE TABLE "users" (
  "id" INTEGER NOT NULL,
  "email" TEXT NOT NULL,
  "full_name" TEXT,
  "phone" TEXT,
  "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "users_email_key" UNIQUE ("email")
);
CREATE INDEX "users_created_at_idx" ON "users" ("created_at" DESC);

-- step 2-create-projects
CREATE TABLE "projects" (
  "id" INTEGER NOT NULL,
  "owner_id" INTEGER NOT NULL,
  "name" TEXT NOT NULL,
  "archived" INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT "projects_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "projects_owner_id_name_key" UNIQUE ("owner_id", "name"),
  CONSTRAINT "projects_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE,
  CONSTRAINT "projects_name_check" CHECK (length("name") <= 120),
  CONSTRAINT "projects_archived_check" CHECK ("archived" IN (0, 1))
);

-- step 3-create-todos
CREATE TABLE "todos" (
  "id" TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  "user_id" INTEGER NOT NULL,
  "project_id" INTEGER,
  "status" TEXT NOT NULL DEFAULT 'todo',
  "title" TEXT NOT NULL,
  "due_on" TEXT,
  "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CONSTRAINT "todos_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "todos_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
  CONSTRAINT "todos_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE SET NULL,
  CONSTRAINT "todos_status_check" CHECK ("status" IN ('todo', 'in_progress', 'done'))
);
CREATE INDEX "todos_project_id_idx" ON "todos" ("project_id");
CREATE INDEX "todos_user_id_status_idx" ON "todos" ("user_id", "status");
