from lint_cases import ddl, findings, online, step

RULE = "disallowed-unique-constraint"
HELP = ("help: CREATE UNIQUE INDEX CONCURRENTLY in a step with `transactional: false`, then ADD CONSTRAINT ... "
        "UNIQUE USING INDEX in a later step")


def test_a_unique_constraint_builds_its_index_under_an_exclusive_lock() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)")) == [
        "error[disallowed-unique-constraint] 1-sql: adding the UNIQUE constraint `users_email_key` builds its index "
        "under an ACCESS EXCLUSIVE lock: reads and writes to `users` wait until it is built. " + HELP]


def test_a_new_unique_column_too() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN handle text UNIQUE")) == [
        "error[disallowed-unique-constraint] 1-sql: adding `handle` UNIQUE builds its index under an ACCESS EXCLUSIVE "
        "lock: reads and writes to `users` wait until it is built. " + HELP]


def test_an_index_built_concurrently_then_attached_is_fine() -> None:
    assert findings(RULE, online('CREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "users" ("email")'),
                    step("2-unique", 'ALTER TABLE "users" ADD CONSTRAINT "users_email_key" '
                                     'UNIQUE USING INDEX "users_email_key"')) == []


def test_silent_for_a_table_created_in_the_same_plan_and_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a int)", "ALTER TABLE t ADD CONSTRAINT k UNIQUE (a)")) == []
    assert findings(RULE, ddl("ALTER TABLE users ADD CONSTRAINT k UNIQUE (email)"), dialect="sqlite") == []
