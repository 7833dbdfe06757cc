"""A step that changes the schema or data has no `down`.

Problem: `dbbasic rollback` cannot undo the plan past this step; if the release has to be rolled
back, someone writes the reverse SQL by hand, under pressure.

Solution: add `down:` to the step with the statements that undo it (`DROP COLUMN` for an
`ADD COLUMN`), or silence the rule for this migration with a reason when the step truly cannot be
undone: `lint: {ignore: {missing-down: "backfill is idempotent"}}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.model import SQL_STEPS, Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "missing-down"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    if isinstance(step, SQL_STEPS) and step.down is None:
        return [Finding(step.id, CODE, LEVEL, "this step has no `down`: rollback cannot undo it",
                        "add `down:` with the statements that undo it")]
    return []
