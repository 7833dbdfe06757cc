-- dbbasic plan scaling/startup (sqlite), down; generated, do not edit.
-- hash: sha256:a645b19d84a22adf2eaf1d3af21f9755fbcb5391ac80c7c1b692be68e79daa63

-- step 1-pragmas
-- settings: PRAGMA journal_mode = delete
