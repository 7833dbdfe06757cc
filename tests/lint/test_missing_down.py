from lint_cases import ddl, findings

RULE = "missing-down"


def test_a_step_without_down_warns() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN a text", down=None)) == [
        "warning[missing-down] 1-sql: this step has no `down`: rollback cannot undo it. "
        "help: add `down:` with the statements that undo it"]


def test_an_ignored_rule_stays_visible_as_info_with_its_reason() -> None:
    [found] = findings(RULE, ddl("UPDATE users SET a = 1", down=None), ignore={RULE: "idempotent backfill"})
    assert found.startswith("info[missing-down]") and "(ignored: idempotent backfill)" in found


def test_a_step_with_down_is_fine() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN a text")) == []
