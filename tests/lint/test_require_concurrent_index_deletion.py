from lint_cases import ddl, findings, online

RULE = "require-concurrent-index-deletion"


def test_a_plain_drop_index_takes_an_exclusive_lock() -> None:
    assert findings(RULE, ddl("DROP INDEX users_email_idx")) == [
        "warning[require-concurrent-index-deletion] 1-sql: DROP INDEX users_email_idx takes an ACCESS EXCLUSIVE lock "
        "on its table: it waits for every running query there, and new ones queue behind it. help: use DROP INDEX "
        "CONCURRENTLY in a step with `transactional: false`"]


def test_a_concurrent_drop_is_fine() -> None:
    assert findings(RULE, online('DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"')) == []


def test_silent_on_sqlite() -> None:
    assert findings(RULE, ddl("DROP INDEX users_email_idx"), dialect="sqlite") == []
