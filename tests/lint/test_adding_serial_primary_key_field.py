from lint_cases import ddl, findings

RULE = "adding-serial-primary-key-field"
HELP = ("help: CREATE UNIQUE INDEX CONCURRENTLY in a step with `transactional: false`, then ADD CONSTRAINT ... "
        "PRIMARY KEY USING INDEX in a later step")


def test_a_new_serial_key_fills_every_row_and_builds_its_index_under_an_exclusive_lock() -> None:
    assert findings(RULE, ddl("ALTER TABLE events ADD COLUMN id serial PRIMARY KEY")) == [
        "error[adding-serial-primary-key-field] 1-sql: adding `id` as the primary key, filling every row, builds its "
        "index under an ACCESS EXCLUSIVE lock: reads and writes to `events` wait until it is done. " + HELP]


def test_a_primary_key_on_existing_columns() -> None:
    assert findings(RULE, ddl("ALTER TABLE events ADD PRIMARY KEY (id)")) == [
        "error[adding-serial-primary-key-field] 1-sql: adding a primary key builds its index under an ACCESS "
        "EXCLUSIVE lock: reads and writes to `events` wait until it is done. " + HELP]


def test_using_an_index_built_concurrently_is_fine() -> None:
    assert findings(RULE, ddl("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey")) == []


def test_silent_for_a_table_created_in_the_same_plan_and_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a int)", "ALTER TABLE t ADD PRIMARY KEY (a)")) == []
    assert findings(RULE, ddl("ALTER TABLE events ADD PRIMARY KEY (id)"), dialect="sqlite") == []
