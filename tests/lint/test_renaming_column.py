from lint_cases import ddl, findings

RULE = "renaming-column"


def test_a_rename_breaks_the_clients_that_use_the_old_name() -> None:
    assert findings(RULE, ddl("ALTER TABLE users RENAME COLUMN full_name TO name")) == [
        "warning[renaming-column] 1-sql: renaming `users.full_name` to `name` breaks every client still using "
        "`full_name` the moment the step commits. help: add `name`, fill it and write both, move the readers, then "
        "drop `full_name` in a later migration"]


def test_on_sqlite_too() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE users RENAME COLUMN full_name TO name"), dialect="sqlite")) == 1


def test_a_column_of_a_table_created_in_the_same_plan_is_fine() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a int)", "ALTER TABLE t RENAME COLUMN a TO b")) == []
