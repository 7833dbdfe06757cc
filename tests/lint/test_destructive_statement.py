from lint_cases import ddl, findings

RULE = "destructive-statement"


def test_dropping_a_column_is_an_error_with_help() -> None:
    assert findings(RULE, ddl("ALTER TABLE users DROP COLUMN phone")) == [
        "error[destructive-statement] 1-sql: this step drops column phone of users: the data cannot be brought "
        "back. help: ship the code change that stops using it first; then set `allow_destructive: true` on the "
        "migration"]


def test_drop_table_truncate_and_delete_everything_are_caught() -> None:
    found = findings(RULE, ddl("DROP TABLE users", "TRUNCATE todos", "DELETE FROM todos"))
    assert sorted(f.split(":")[1].strip() for f in found) == [
        "this step deletes every row", "this step drops table users", "this step empties the table"]


def test_allow_destructive_makes_it_a_warning_that_stays_visible() -> None:
    [found] = findings(RULE, ddl("DROP TABLE users"), allow_destructive=True)
    assert found.startswith("warning[destructive-statement]")


def test_additive_changes_and_targeted_deletes_are_fine() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN nick text", "DELETE FROM todos WHERE id = 1",
                              "CREATE TABLE t (a int)")) == []
