from lint_cases import ddl, findings

RULE = "prefer-bigint-over-int"


def test_a_32_bit_integer_column_warns() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN todo_count integer")) == [
        "warning[prefer-bigint-over-int] 1-sql: `todo_count` is a 32-bit integer (integer): it fails past "
        "2,147,483,647, and widening it later rewrites the table. help: use bigint (`type: bigint` in the data model)"]


def test_in_new_tables_too_with_every_spelling() -> None:
    found = findings(RULE, ddl("CREATE TABLE t (a int, b int4, c serial, d bigint, e smallint, f bigserial)"))
    assert [f.split("`")[1] for f in found] == ["a", "b", "c"]


def test_silent_on_sqlite_whose_integer_is_64_bit() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a INTEGER)"), dialect="sqlite") == []
