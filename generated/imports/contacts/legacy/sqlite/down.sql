-- dbbasic plan imports/contacts/legacy (sqlite), down; generated, do not edit.
-- hash: sha256:b7f5d33486134123e72826f944c5edfe12d46c58e6d2db0ef8a6d0722e4e1ef5

-- step 1-import
DELETE FROM "users"
WHERE
  CAST("id" AS TEXT) IN (
    SELECT
      row_key
    FROM dbbasic_import_rows
    WHERE
      plan_id = 'imports/contacts/legacy' AND step_id = '1-import'
  );
DELETE FROM dbbasic_import_rows
WHERE
  plan_id = 'imports/contacts/legacy' AND step_id = '1-import';
DELETE FROM dbbasic_import_keys
WHERE
  plan_id = 'imports/contacts/legacy' AND step_id = '1-import';
