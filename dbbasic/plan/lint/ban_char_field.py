"""A PostgreSQL column declared as char(n) (character, bpchar).

Problem: `char(n)` pads every value with spaces to n characters, ignores trailing spaces when it
compares, and keeps the limit in the type (see `prefer-text-field`); it is almost always meant as
text. Squawk's rule of the same name. A style rule: it applies to new tables too. It is silent on
SQLite, which has no fixed-length type.

Solution: declare the column `text`, with a `CHECK` on its length if it needs one (`string(n)` in the
data model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "ban-char-field"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    return [Finding(step.id, CODE, LEVEL, f"`{column}` is {name}: values are padded with spaces to "
                    "its length", "use text, with a CHECK on its length if it needs one")
            for statement in _sql.ddl_statements(step) for column, name in _sql.column_types(context, statement)
            if name.split("(")[0] in ("char", "bpchar")]
