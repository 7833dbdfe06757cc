"""What a statement does to a live database: lock level and risk, as plan.md shows them."""

from __future__ import annotations

import pytest

from dbbasic.sql.analyze import statement_effect
from dbbasic.sql.dialect import Dialect

CASES = [
    ('CREATE TABLE "order" (a int)', "new", "safe", ""),
    ("CREATE TABLE x AS SELECT 1", "new", "safe", ""),
    ('CREATE UNIQUE INDEX CONCURRENTLY "i" ON "users" (a)', "concurrent", "safe", ""),
    ("CREATE INDEX i ON users (lower(a))", "share", "caution", ""),
    ("ALTER TABLE users ADD COLUMN a int", "brief", "safe", ""),
    ("ALTER TABLE users ADD COLUMN b timestamptz DEFAULT now()", "brief", "safe", ""),
    ("ALTER TABLE users ADD COLUMN b uuid DEFAULT gen_random_uuid()", "exclusive", "caution", ""),
    ("ALTER TABLE users ALTER COLUMN a TYPE bigint", "exclusive", "caution", ""),
    ("ALTER TABLE users ALTER COLUMN a SET DEFAULT 0", "brief", "safe", ""),
    ("ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0) NOT VALID", "brief", "safe", ""),
    ("ALTER TABLE users ADD CONSTRAINT c CHECK (a > 0)", "exclusive", "caution", ""),
    ("ALTER TABLE users DROP COLUMN a", "brief", "destructive", "drops column a of users"),
    ("DROP TABLE users", "exclusive", "destructive", "drops table users"),
    ("TRUNCATE users", "exclusive", "destructive", "empties the table"),
    ("DELETE FROM users", "rows", "destructive", "deletes every row"),
    ("UPDATE users SET a = 1 WHERE id > %(after)s AND id <= %(upto)s", "rows", "caution", ""),
    ("SELECT count(*) FROM users", "none", "safe", ""),
    ("VACUUM users", "unknown", "caution", ""),
]


@pytest.mark.parametrize(("sql", "lock", "risk", "destroys"), CASES)
def test_lock_and_risk_of_a_statement(sql: str, lock: str, risk: str, destroys: str) -> None:
    effect = statement_effect(Dialect.get("postgres"), sql)
    assert (effect.lock, effect.risk, effect.destructive) == (lock, risk, destroys)
