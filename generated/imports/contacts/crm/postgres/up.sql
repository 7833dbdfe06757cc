-- dbbasic plan imports/contacts/crm (postgres), up; generated, do not edit.
-- hash: sha256:114fc4ab74e8aeb46b6190bf80f8f170291f1912011e3a6e880b7a2fc1ced5d3

-- step 1-import
-- import: specs/data/crm_export.csv (sha256:4f63888822252e79592c6c422e08319717ff72664266e43cf33a09bc82945f16) into users, 7 rules
