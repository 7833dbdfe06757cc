-- dbbasic plan imports/contacts/legacy (sqlite), up; generated, do not edit.
-- hash: sha256:b7f5d33486134123e72826f944c5edfe12d46c58e6d2db0ef8a6d0722e4e1ef5

-- step 1-import
-- import: specs/data/legacy_contacts.csv (sha256:c164d82dd2499fdd464434143483893a7dcd6e5575afe72c4c58b7acb738991b) into users, 7 rules
