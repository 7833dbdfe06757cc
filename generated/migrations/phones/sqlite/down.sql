-- dbbasic plan migrations/phones (sqlite), down; generated, do not edit.
-- hash: sha256:0bd706f2978297a61fc15e2d8677386e52fafd1343da056336c6ceb62b619a78

-- step 2-normalize-users.phone
UPDATE "users" SET "phone" = (
  SELECT
    r."original"
  FROM "users_phone_report" AS r
  WHERE
    r."row_key" = "users"."id"
)
WHERE
  EXISTS(
    SELECT
      1
    FROM "users_phone_report" AS r
    WHERE
      r."row_key" = "users"."id"
      AND r."note" = 'changed'
      AND r."result" = "users"."phone"
  );

-- step 1-report-users_phone_report
DROP TABLE "users_phone_report";
