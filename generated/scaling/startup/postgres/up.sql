-- dbbasic plan scaling/startup (postgres), up; generated, do not edit.
-- hash: sha256:45d330acdf89d55692effcbc7b351e905cc567dc2695102075506327babafb60

-- step 1-server-files
-- config: files/dbbasic.conf

-- step 2-install
-- manual: Tier startup: copy files/dbbasic.conf beside postgresql.conf, add `include = 'dbbasic.conf'`, restart PostgreSQL
