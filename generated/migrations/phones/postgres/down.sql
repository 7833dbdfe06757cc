-- dbbasic plan migrations/phones (postgres), down; generated, do not edit.
-- hash: sha256:ca424dd502cf99763031f3117eb5e49f75f701543a92ea5e2fa8eb8a1604a7d2

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
