from lint_cases import ddl, findings

RULE = "prefer-timestamptz"


def test_timestamp_without_time_zone_warns() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (seen_at timestamp)")) == [
        "warning[prefer-timestamptz] 1-sql: `seen_at` is timestamp without time zone: it drops the UTC offset, so "
        "values written from different time zones cannot be compared. help: use timestamptz"]


def test_every_spelling_and_statement() -> None:
    assert len(findings(RULE, ddl("ALTER TABLE t ADD COLUMN a timestamp without time zone",
                                  "ALTER TABLE t ALTER COLUMN b TYPE timestamp(3)"))) == 2


def test_timestamptz_is_fine() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (a timestamptz, b timestamp with time zone, c date, "
                              "d timestamp(3) with time zone, \"timestamp\" text)")) == []


def test_silent_on_sqlite() -> None:
    assert findings(RULE, ddl("CREATE TABLE t (seen_at timestamp)"), dialect="sqlite") == []
