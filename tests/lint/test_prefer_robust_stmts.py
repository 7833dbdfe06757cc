from lint_cases import ddl, findings, online

RULE = "prefer-robust-stmts"


def test_a_create_without_if_not_exists_in_a_step_outside_a_transaction() -> None:
    assert findings(RULE, online("CREATE TABLE audit (id bigint)")) == [
        "warning[prefer-robust-stmts] 1-sql: `CREATE TABLE audit (id bigint)` has no IF NOT EXISTS: when the step is "
        "run again after an interruption it fails because the object exists. help: add IF NOT EXISTS"]


def test_drops_and_added_columns() -> None:
    assert findings(RULE, online("DROP INDEX CONCURRENTLY users_email_idx", "ALTER TABLE users ADD COLUMN a text",
                                 "ALTER TABLE users DROP COLUMN b")) == [
        "warning[prefer-robust-stmts] 1-sql: `ALTER TABLE users ADD COLUMN a text` has no IF NOT EXISTS: when the "
        "step is run again after an interruption it fails because the column exists. help: add IF NOT EXISTS after "
        "ADD COLUMN",
        "warning[prefer-robust-stmts] 1-sql: `ALTER TABLE users DROP COLUMN b` has no IF EXISTS: when the step is run "
        "again after an interruption it fails because the column is gone. help: add IF EXISTS",
        "warning[prefer-robust-stmts] 1-sql: `DROP INDEX CONCURRENTLY users_email_idx` has no IF EXISTS: when the "
        "step is run again after an interruption it fails because the object is gone. help: add IF EXISTS"]


def test_an_unnamed_concurrent_index_is_built_twice() -> None:
    assert findings(RULE, online("CREATE INDEX CONCURRENTLY ON users (email)")) == [
        "warning[prefer-robust-stmts] 1-sql: `CREATE INDEX CONCURRENTLY ON users (email)` builds an index with no "
        "name: when the step is run again after an interruption it builds a second one. help: name the index"]


def test_a_statement_with_no_if_exists_form_belongs_in_a_transaction() -> None:
    [found] = findings(RULE, online("ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID"))
    assert "cannot be made safe to run twice" in found and found.endswith("help: move it to a transactional step")


def test_robust_statements_are_fine() -> None:
    assert findings(RULE, online(
        "CREATE INDEX CONCURRENTLY users_email_idx ON users (email)",  # the runner makes it safe to run again
        "CREATE TABLE IF NOT EXISTS audit (id bigint)", "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx",
        "ALTER TABLE users ADD COLUMN IF NOT EXISTS a text", "ALTER TABLE users DROP COLUMN IF EXISTS b",
        "ALTER TABLE users DROP CONSTRAINT IF EXISTS c", "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID",
        "ALTER TABLE users VALIDATE CONSTRAINT c", "CREATE OR REPLACE VIEW v AS SELECT 1",
        "UPDATE users SET a = 'x' WHERE id = 1")) == []


def test_a_transactional_step_is_rolled_back_whole_so_it_is_fine() -> None:
    assert findings(RULE, ddl("CREATE TABLE audit (id bigint)", "DROP INDEX users_email_idx")) == []


def test_silent_on_sqlite() -> None:
    assert findings(RULE, online("CREATE TABLE audit (id INTEGER)"), dialect="sqlite") == []
