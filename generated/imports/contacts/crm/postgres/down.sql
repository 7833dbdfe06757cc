-- dbbasic plan imports/contacts/crm (postgres), down; generated, do not edit.
-- hash: sha256:114fc4ab74e8aeb46b6190bf80f8f170291f1912011e3a6e880b7a2fc1ced5d3

-- step 1-import
DELETE FROM "users"
WHERE
  CAST("id" AS TEXT) IN (
    SELECT
      row_key
    FROM dbbasic_import_rows
    WHERE
      plan_id = 'imports/contacts/crm' AND step_id = '1-import'
  );
DELETE FROM dbbasic_import_rows
WHERE
  plan_id = 'imports/contacts/crm' AND step_id = '1-import';
DELETE FROM dbbasic_import_keys
WHERE
  plan_id = 'imports/contacts/crm' AND step_id = '1-import';
