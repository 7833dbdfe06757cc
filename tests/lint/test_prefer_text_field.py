from lint_cases import ddl, findings

RULE = "prefer-text-field"


def test_varchar_with_a_limit_warns() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (name varchar(100))")) == [
        "warning[prefer-text-field] 1-sql: `name` is varchar(100): changing its limit later is a type change, under "
        "an ACCESS EXCLUSIVE lock. help: use text with CHECK (char_length(name) <= n) (`string(n)` in the data model)"]


def test_added_or_changed_columns_too() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE t ADD COLUMN a character varying(3)",
                                  "ALTER TABLE t ALTER COLUMN b TYPE varchar(10)"))) == 2


def test_text_and_varchar_without_a_limit_are_fine() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a text, b varchar, c text CHECK (char_length(c) <= 100))")) == []


def test_silent_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (name varchar(100))"), dialect="sqlite") == []
