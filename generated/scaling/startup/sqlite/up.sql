-- dbbasic plan scaling/startup (sqlite), up; generated, do not edit.
-- hash: sha256:a645b19d84a22adf2eaf1d3af21f9755fbcb5391ac80c7c1b692be68e79daa63

-- step 1-pragmas
-- settings: PRAGMA journal_mode = wal
-- settings: PRAGMA busy_timeout = 5000
-- settings: PRAGMA synchronous = normal
-- settings: PRAGMA cache_size = -65536
-- settings: PRAGMA foreign_keys = on
-- settings: PRAGMA temp_store = memory
