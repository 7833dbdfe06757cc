-- dbbasic plan imports/contacts/legacy (postgres), down; generated, do not edit.
-- hash: sha256:b0b60fd6a7595a2784d99dc8fc195cedb3c52fed2b0dde4b289c9ee15e87e47d

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
