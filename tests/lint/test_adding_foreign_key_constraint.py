from lint_cases import ddl, findings, step

RULE = "adding-foreign-key-constraint"


def test_a_foreign_key_without_not_valid_blocks_writes_to_both_tables() -> None:
    assert findings(RULE, ddl("ALTER TABLE todos ADD CONSTRAINT todos_user_id_fkey "
                              "FOREIGN KEY (user_id) REFERENCES users (id)")) == [
        "warning[adding-foreign-key-constraint] 1-sql: adding the foreign key `todos_user_id_fkey` checks every row of "
        "`todos` under SHARE ROW EXCLUSIVE locks on `todos` and `users`: writes to both wait until it is done. "
        "help: add it NOT VALID, then VALIDATE CONSTRAINT it in a later step, which lets reads and writes go on"]


def test_a_new_column_with_a_reference_too() -> None:
    assert findings(RULE, ddl("ALTER TABLE todos ADD COLUMN owner_id bigint REFERENCES users (id)")) == [
        "warning[adding-foreign-key-constraint] 1-sql: adding `owner_id` with a reference to `users` checks every row "
        "of `todos` while writes to both tables wait. help: add the column first, then the foreign key NOT VALID, "
        "and VALIDATE CONSTRAINT it in a later step"]


def test_not_valid_then_validate_in_a_later_step_is_fine() -> None:
    assert findings(RULE,
                    step("1-fkey", "ALTER TABLE todos ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) "
                                   "NOT VALID"),
                    step("2-validate", "ALTER TABLE todos VALIDATE CONSTRAINT fk")) == []


def test_silent_for_a_table_created_in_the_same_plan_and_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (u bigint)",
                              "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id)")) == []
    assert findings(RULE, ddl("ALTER TABLE todos ADD COLUMN owner_id INTEGER REFERENCES users (id)"),
                    dialect="sqlite") == []
