from lint_cases import ddl, findings

RULE = "ban-char-field"


def test_char_warns() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (code char(2))")) == [
        "warning[ban-char-field] 1-sql: `code` is char(2): values are padded with spaces to its length. "
        "help: use text, with a CHECK on its length if it needs one"]


def test_every_spelling() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE t ADD COLUMN a character(3), ADD COLUMN b bpchar, ADD COLUMN c char"))) == 3


def test_text_varchar_and_the_one_byte_char_type_are_fine() -> None:
    assert findings(RULE, ddl('CREATE TABLE t (a text, b varchar(2), c "char")')) == []


def test_silent_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (code char(2))"), dialect="sqlite") == []
