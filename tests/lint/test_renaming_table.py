from lint_cases import ddl, findings

RULE = "renaming-table"


def test_a_rename_breaks_the_clients_that_use_the_old_name() -> None:
    assert findings(RULE, ddl("ALTER TABLE users RENAME TO accounts")) == [
        "warning[renaming-table] 1-sql: renaming `users` to `accounts` breaks every client still using `users` the "
        "moment the step commits. help: leave a view named `users` over `accounts` in the same step, move the "
        "clients, then drop the view in a later migration"]


def test_sqlite_table_rebuild_renames_a_table_it_just_created() -> None:
    assert findings(RULE, ddl('CREATE TABLE "dbbasic_new_users" ("id" INTEGER)', 'DROP TABLE "users"',
                              'ALTER TABLE "dbbasic_new_users" RENAME TO "users"'), dialect="sqlite") == []


def test_on_sqlite_too() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE users RENAME TO accounts"), dialect="sqlite")) == 1
