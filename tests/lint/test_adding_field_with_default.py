import pytest
from lint_cases import ddl, findings

RULE = "adding-field-with-default"
HELP = ("help: add the column without a default, SET DEFAULT for new rows in the same step, and fill the existing "
        "rows in a batched step")


def test_a_volatile_default_rewrites_the_table() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()")) == [
        "error[adding-field-with-default] 1-sql: adding `token` with the non-constant default `gen_random_uuid()` "
        "rewrites `users` under an ACCESS EXCLUSIVE lock: reads and writes wait until every row is written. " + HELP]


def test_a_function_not_known_to_be_stable_counts_as_volatile() -> None:
    [found] = findings(RULE, ddl("ALTER TABLE users ADD COLUMN code text DEFAULT make_code()"))
    assert "the non-constant default `make_code()`" in found


@pytest.mark.parametrize(("column", "why"), [
    ("n bigserial", "as bigserial (each row gets the next value of a sequence)"),
    ("n bigint GENERATED ALWAYS AS IDENTITY", "as an identity column (each row gets the next value of a sequence)"),
    ("total numeric GENERATED ALWAYS AS (price * qty) STORED", "as a stored generated column"),
])
def test_serial_identity_and_stored_generated_columns_fill_every_row(column: str, why: str) -> None:
    [found] = findings(RULE, ddl(f"ALTER TABLE orders ADD COLUMN {column}"))
    assert f"adding `{column.split()[0]}` {why} rewrites `orders`" in found


def test_constant_defaults_are_stored_once_on_postgres_11_and_later() -> None:
    assert findings(RULE, ddl(
        "ALTER TABLE users ADD COLUMN a text DEFAULT 'x', ADD COLUMN b timestamptz DEFAULT now(), "
        "ADD COLUMN c jsonb DEFAULT '{}'::jsonb, ADD COLUMN d int DEFAULT -1, ADD COLUMN e boolean DEFAULT TRUE, "
        "ADD COLUMN f date DEFAULT CURRENT_DATE, ADD COLUMN g timestamptz DEFAULT statement_timestamp()")) == []


def test_the_safe_way_adds_the_default_for_new_rows_only() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN token uuid",
                              "ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid()")) == []


def test_a_serial_primary_key_is_left_to_adding_serial_primary_key_field() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN id serial PRIMARY KEY")) == []


def test_silent_for_a_table_created_in_the_same_plan_and_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a int)", "ALTER TABLE t ADD COLUMN b uuid DEFAULT gen_random_uuid()")) == []
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN b text DEFAULT (random())"), dialect="sqlite") == []
