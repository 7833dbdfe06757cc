"""A batched (or transform) step walks its table by a key column that has no index.

Problem: each batch finds its key range (`after < key <= upto`) and the next boundary by the key. With
an index on the key that is a short range scan; without one, every batch reads the whole table, so a
backfill of N rows in batches of B reads N*N/B rows, and holds its row locks longer. Not a Squawk rule.
The linter knows a table's indexes when it is given them (`lint_plan(..., indexed=...)`: primary keys,
unique keys and `indexes:` of the data model), plus the indexes this plan creates on such a table; for
a table it knows nothing of, the rule stays silent (unknown is not unindexed).

Solution: batch by the primary key or another indexed column; or build an index on the key first, with
`CREATE INDEX CONCURRENTLY` in a step with `transactional: false` before the batched step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbbasic.plan.model import BatchedStep, Finding, Level, Step, TransformStep

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "batched-key-without-index"
LEVEL: Level = "warning"


def check(step: Step, context: LintContext) -> list[Finding]:
    if not isinstance(step, (BatchedStep, TransformStep)) or (step.table, step.key) in context.indexed:
        return []
    if not any(table == step.table for table, _ in context.indexed):
        return []
    return [Finding(step.id, CODE, LEVEL, f"`{step.table}.{step.key}` has no index: every batch reads the whole "
                    "table to find its key range", f"batch by the primary key, or index `{step.key}` first with "
                    "CREATE INDEX CONCURRENTLY in a step with `transactional: false`")]
