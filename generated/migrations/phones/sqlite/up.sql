-- dbbasic plan migrations/phones (sqlite), up; generated, do not edit.
-- hash: sha256:0bd706f2978297a61fc15e2d8677386e52fafd1343da056336c6ceb62b619a78

-- step 1-report-users_phone_report
CREATE TABLE "users_phone_report" (
  "row_key" INTEGER NOT NULL,
  "original" TEXT,
  "result" TEXT,
  "note" TEXT NOT NULL,
  "reason" TEXT,
  CONSTRAINT "users_phone_report_pkey" PRIMARY KEY ("row_key")
);

-- step 2-normalize-users.phone
-- transform: users.phone into phone with phone_e164 v1 {"default_region": "US"} by id, log in users_phone_report

-- step 3-verify-users.phone
-- check: expect 0
SELECT count(*) FROM "users" WHERE "phone" IS NOT NULL AND trim("phone") <> '' AND NOT ("phone" GLOB '+[1-9]*' AND substr("phone", 2) NOT GLOB '*[^0-9]*' AND length("phone") BETWEEN 3 AND 16) AND NOT EXISTS (SELECT 1 FROM "users_phone_report" AS r WHERE r."row_key" = "users"."id" AND r."note" = 'rejected');
