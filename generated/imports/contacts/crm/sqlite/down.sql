-- dbbasic plan imports/contacts/crm (sqlite), down; generated, do not edit.
-- hash: sha256:9bad49e1668760986bb8ccc60e6aea925bea8dba2f0d559b166d9e5c361d0701

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
