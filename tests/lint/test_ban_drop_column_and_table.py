"""Squawk's ban-drop-column and ban-drop-table are dbbasic's destructive-statement: one finding a drop."""

from lint_cases import ddl, findings

from dbbasic.plan.lint import lint_plan
from dbbasic.plan.model import Plan
from dbbasic.specs.model import Source

RULE = "destructive-statement"


def test_a_drop_squawk_reports_as_ban_drop_table_or_ban_drop_column_gets_this_one_finding() -> None:
    for statement in ("DROP TABLE users", "ALTER TABLE users DROP COLUMN phone"):
        plan = Plan("m", "test", "postgres", Source("specs/m.yaml", 1, ""), "explicit", 1, (ddl(statement),))
        assert [f.rule for f in lint_plan(plan).findings] == [RULE]


def test_dropping_a_constraint_drops_no_data() -> None:
    assert findings(RULE, ddl("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key")) == []
    [found] = findings(RULE, ddl("ALTER TABLE users DROP CONSTRAINT c, DROP COLUMN phone"))
    assert "this step drops column phone of users:" in found
