-- dbbasic plan imports/contacts/crm (sqlite), up; generated, do not edit.
-- hash: sha256:9bad49e1668760986bb8ccc60e6aea925bea8dba2f0d559b166d9e5c361d0701

-- step 1-import
-- import: specs/data/crm_export.csv (sha256:4f63888822252e79592c6c422e08319717ff72664266e43cf33a09bc82945f16) into users, 7 rules
