from lint_cases import ddl, findings

RULE = "concurrent-in-transaction"


def test_create_index_concurrently_in_a_transaction_is_an_error() -> None:
    assert findings(RULE, ddl("CREATE INDEX CONCURRENTLY users_email_idx ON users (email)")) == [
        "error[concurrent-in-transaction] 1-sql: `CREATE INDEX CONCURRENTLY users_email_idx ON users (email)` "
        "cannot run inside a transaction. help: move it to a step of its own with `transactional: false`"]


def test_vacuum_too() -> None:
    assert len(findings(RULE, ddl("VACUUM users"))) == 1


def test_outside_a_transaction_it_is_fine() -> None:
    assert findings(RULE, ddl("CREATE INDEX CONCURRENTLY i ON users (email)", transactional=False)) == []
