from lint_cases import ddl, findings, step

from dbbasic.plan.lint.rewrite_on_large_table import LARGE_TABLE_ROWS

RULE = "rewrite-on-large-table"
HELP = ("help: split it into steps that never hold the table (batched fills, NOT VALID then VALIDATE, CONCURRENTLY), "
        "or run it in a maintenance window and silence the rule with that reason")
LARGE = {"users": 2_500_000}


def test_a_rewrite_of_a_large_table_is_an_error() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ALTER COLUMN id TYPE bigint"), table_rows=LARGE) == [
        "error[rewrite-on-large-table] 1-sql: `ALTER TABLE users ALTER COLUMN id TYPE bigint` holds `users` (about "
        "2,500,000 rows) while it rewrites or reads the whole table (ACCESS EXCLUSIVE: blocks reads and writes while "
        "it runs). " + HELP]


def test_scans_and_maintenance_statements_that_rewrite_too() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0)",
                                  "ALTER TABLE users ADD COLUMN t uuid DEFAULT gen_random_uuid()",
                                  "VACUUM (FULL) users", "CLUSTER users USING users_pkey"), table_rows=LARGE)) == 4


def test_statements_that_do_not_hold_the_table_are_fine() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN n text DEFAULT 'x'",
                              "ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID", "VACUUM users",
                              "DROP TABLE users"), table_rows=LARGE) == []


def test_set_not_null_proven_by_a_validated_check_reads_nothing() -> None:
    assert findings(RULE, step("1-check", "ALTER TABLE users ADD CONSTRAINT n CHECK (a IS NOT NULL) NOT VALID"),
                    step("2-validate", "ALTER TABLE users VALIDATE CONSTRAINT n"),
                    step("3-not-null", "ALTER TABLE users ALTER COLUMN a SET NOT NULL"), table_rows=LARGE) == []


def test_small_unknown_and_new_tables_are_fine() -> None:
    statement = "ALTER TABLE users ALTER COLUMN id TYPE bigint"
    assert findings(RULE, ddl(statement), table_rows={"users": LARGE_TABLE_ROWS}) == []
    assert findings(RULE, ddl(statement)) == []
    assert findings(RULE, ddl(statement), table_rows={"todos": 5_000_000}) == []
    assert findings(RULE, ddl("CREATE TABLE users (id int)", statement), table_rows=LARGE) == []
