-- dbbasic plan scaling/startup (postgres), up; generated, do not edit.
-- hash: sha256:3220a8dc4100fefea6db15cb9fc38fc803589ba0612b5d725b02164e07022b78

-- step 1-server-files
-- config: files/dbbasic.conf

-- step 2-install
-- manual: Tier startup: copy files/dbbasic.conf beside postgresql.conf, add `include = 'dbbasic.conf'`, restart PostgreSQL
