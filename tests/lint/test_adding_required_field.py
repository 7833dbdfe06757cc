from lint_cases import ddl, findings

RULE = "adding-required-field"


def test_not_null_without_a_default_fails_on_a_table_with_rows() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN nick text NOT NULL")) == [
        "error[adding-required-field] 1-sql: adding `nick` NOT NULL without a default fails as soon as `users` has a "
        "row: the rows already there have no value for it. help: give it a constant DEFAULT, or add it nullable, "
        "fill it in a batched step, then make it NOT NULL"]


def test_a_default_or_a_generated_value_fills_the_existing_rows() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN nick text NOT NULL DEFAULT ''",
                              "ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY",
                              "ALTER TABLE users ADD COLUMN m bigserial NOT NULL",
                              "ALTER TABLE users ADD COLUMN nick2 text")) == []


def test_silent_for_a_table_created_in_the_same_plan_and_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a int)", "ALTER TABLE t ADD COLUMN b text NOT NULL")) == []
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN nick text NOT NULL"), dialect="sqlite") == []
