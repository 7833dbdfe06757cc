from lint_cases import ddl, findings, online

RULE = "require-concurrent-index-creation"


def test_a_plain_index_on_an_existing_postgres_table_warns() -> None:
    assert findings(RULE, ddl("CREATE INDEX users_email_idx ON users (email)")) == [
        "warning[require-concurrent-index-creation] 1-sql: building this index blocks writes to users until it is done. "
        "help: use CREATE INDEX CONCURRENTLY in a step with `transactional: false`"]


def test_also_in_a_step_outside_a_transaction() -> None:
    assert len(findings(RULE, online("CREATE UNIQUE INDEX users_email_key ON users (email)"))) == 1


def test_a_concurrent_build_is_fine() -> None:
    assert findings(RULE, online("CREATE INDEX CONCURRENTLY users_email_idx ON users (email)")) == []


def test_an_index_on_a_table_created_in_the_same_plan_is_fine() -> None:
    assert findings(RULE, ddl("CREATE TABLE users (email text)", "CREATE INDEX i ON users (email)")) == []


def test_silent_on_sqlite_where_there_is_no_concurrent_build() -> None:
    assert findings(RULE, ddl("CREATE INDEX i ON users (email)"), dialect="sqlite") == []
