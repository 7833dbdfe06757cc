-- dbbasic plan imports/contacts/legacy (postgres), up; generated, do not edit.
-- hash: sha256:b0b60fd6a7595a2784d99dc8fc195cedb3c52fed2b0dde4b289c9ee15e87e47d

-- step 1-import
-- import: specs/data/legacy_contacts.csv (sha256:c164d82dd2499fdd464434143483893a7dcd6e5575afe72c4c58b7acb738991b) into users, 7 rules
