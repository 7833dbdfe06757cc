-- dbbasic plan migrations/phones (postgres), up; generated, do not edit.
-- hash: sha256:ca424dd502cf99763031f3117eb5e49f75f701543a92ea5e2fa8eb8a1604a7d2

-- step 1-report-users_phone_report
CREATE TABLE "users_phone_report" (
  "row_key" bigint NOT NULL,
  "original" text,
  "result" text,
  "note" text NOT NULL,
  "reason" text,
  CONSTRAINT "users_phone_report_pkey" PRIMARY KEY ("row_key")
);

-- step 2-normalize-users.phone
-- transform: users.phone into phone with phone_e164 v1 {"default_region": "US"} by id, log in users_phone_report

-- step 3-verify-users.phone
-- check: expect 0
SELECT
  COUNT(*)
FROM "users"
WHERE
  "phone" IS NOT NULL
  AND TRIM("phone") <> ''
  AND NOT (
    "phone" ~ '^[+][1-9][0-9]{1,14}$'
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM "users_phone_report" AS r
    WHERE
      r."row_key" = "users"."id" AND r."note" = 'rejected'
  );
