from lint_cases import ddl, findings

RULE = "changing-column-type"


def test_a_type_change_rewrites_the_table() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ALTER COLUMN id TYPE bigint")) == [
        "error[changing-column-type] 1-sql: changing `users.id` to bigint rewrites the table and its indexes under an "
        "ACCESS EXCLUSIVE lock: reads and writes wait until it is done. help: add a column of the new type, fill it "
        "in a batched step, move the readers to it, then drop the old column in a later migration"]


def test_set_data_type_with_using_too() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE users ALTER COLUMN n SET DATA TYPE bigint USING n::bigint"))) == 1


def test_other_column_changes_are_fine() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ALTER COLUMN n SET DEFAULT 0",
                              "ALTER TABLE users ALTER COLUMN n DROP NOT NULL")) == []


def test_silent_for_a_table_created_in_the_same_plan_and_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a int)", "ALTER TABLE t ALTER COLUMN a TYPE bigint")) == []
    assert findings(RULE, ddl("ALTER TABLE users ALTER COLUMN id TYPE bigint"), dialect="sqlite") == []
