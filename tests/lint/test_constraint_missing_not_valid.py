from lint_cases import ddl, findings, step

RULE = "constraint-missing-not-valid"


def test_a_check_without_not_valid_reads_the_table_under_an_exclusive_lock() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0)")) == [
        "error[constraint-missing-not-valid] 1-sql: adding the CHECK `users_age_check` reads every row of `users` "
        "under an ACCESS EXCLUSIVE lock: reads and writes wait until it is done. help: add it NOT VALID, then "
        "VALIDATE CONSTRAINT it in a later step, which lets reads and writes go on"]


def test_validating_in_the_step_that_adds_it_keeps_the_lock() -> None:
    assert findings(RULE, ddl('ALTER TABLE users ADD CONSTRAINT "Age" CHECK (age >= 0) NOT VALID',
                              'ALTER TABLE users VALIDATE CONSTRAINT "Age"')) == [
        "error[constraint-missing-not-valid] 1-sql: `Age` is validated in the step that adds it: the step's "
        "transaction keeps the lock of the ADD while VALIDATE reads the whole table. help: move VALIDATE CONSTRAINT "
        "to a step of its own"]


def test_foreign_keys_too_when_validated_in_the_same_step() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE todos ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID",
                                  "ALTER TABLE todos VALIDATE CONSTRAINT FK"))) == 1


def test_not_valid_then_validate_in_another_step_is_fine() -> None:
    assert findings(RULE, step("1-check", "ALTER TABLE users ADD CONSTRAINT c CHECK (age >= 0) NOT VALID"),
                    step("2-validate", "ALTER TABLE users VALIDATE CONSTRAINT c")) == []


def test_a_foreign_key_without_not_valid_is_left_to_adding_foreign_key_constraint() -> None:
    assert findings(RULE, ddl("ALTER TABLE todos ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id)")) == []


def test_silent_for_a_table_created_in_the_same_plan_and_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a int)", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)")) == []
    assert findings(RULE, ddl("ALTER TABLE users ADD CONSTRAINT c CHECK (age >= 0)"), dialect="sqlite") == []
