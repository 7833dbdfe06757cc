from lint_cases import ddl, findings, step

RULE = "adding-not-nullable-field"


def test_set_not_null_scans_the_table_under_an_exclusive_lock() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ALTER COLUMN email SET NOT NULL")) == [
        "error[adding-not-nullable-field] 1-sql: SET NOT NULL on `users.email` scans the whole table under an ACCESS "
        "EXCLUSIVE lock: reads and writes wait until it is done. help: add CHECK (email IS NOT NULL) NOT VALID, "
        "VALIDATE CONSTRAINT it in a later step, then SET NOT NULL: PostgreSQL 12+ uses the valid check instead of "
        "scanning"]


def test_a_check_that_the_plan_adds_not_valid_and_validates_proves_it_without_a_scan() -> None:
    assert findings(RULE,
                    step("1-check", 'ALTER TABLE "users" ADD CONSTRAINT "users_email_not_null" '
                                    'CHECK ("email" IS NOT NULL) NOT VALID'),
                    step("2-validate", 'ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_not_null"'),
                    step("3-not-null", 'ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL',
                         'ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_email_not_null"')) == []


def test_a_check_left_not_valid_proves_nothing() -> None:
    assert len(findings(RULE,
                        step("1-check", "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID"),
                        step("2-not-null", "ALTER TABLE users ALTER COLUMN email SET NOT NULL"))) == 1


def test_drop_not_null_and_new_tables_and_sqlite_are_fine() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ALTER COLUMN email DROP NOT NULL")) == []
    assert findings(RULE, ddl("CREATE TABLE t (a text)", "ALTER TABLE t ALTER COLUMN a SET NOT NULL")) == []
    assert findings(RULE, ddl("ALTER TABLE users ALTER COLUMN email SET NOT NULL"), dialect="sqlite") == []
