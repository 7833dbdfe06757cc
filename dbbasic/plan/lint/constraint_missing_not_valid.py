"""A CHECK constraint added to an existing PostgreSQL table without NOT VALID, or validated in the
step that adds it.

Problem: `ADD CONSTRAINT ... CHECK (...)` reads every row to prove the check while holding an ACCESS
EXCLUSIVE lock: reads and writes wait until the whole table is read. Adding it `NOT VALID` and then
running `VALIDATE CONSTRAINT` in the same step does not help: the step's transaction keeps the lock
the ADD took while VALIDATE reads the table. Squawk's rule of the same name. Foreign keys are
reported by `adding-foreign-key-constraint` (one finding per statement), UNIQUE constraints by
`disallowed-unique-constraint` and primary keys by `adding-serial-primary-key-field`: PostgreSQL
accepts NOT VALID only for CHECK and FOREIGN KEY constraints. The validation in the same step is
reported for both kinds. Tables created in the same plan are empty, so the rule stays silent for
them; it is silent on SQLite.

Solution: add the constraint with `NOT VALID` (new and changed rows are checked from then on, the lock
is brief), then `ALTER TABLE ... VALIDATE CONSTRAINT ...` in a step of its own: it reads the existing
rows while reads and writes go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import DdlStep, Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "constraint-missing-not-valid"
LEVEL: Level = "error"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    added_not_valid: set[str] = set()
    for statement in _sql.ddl_statements(step):
        name = _sql.validated(context, statement)
        if name is not None and isinstance(step, DdlStep) and name in added_not_valid:
            findings.append(Finding(
                step.id, CODE, LEVEL, f"`{name}` is validated in the step that adds it: the step's transaction keeps "
                "the lock of the ADD while VALIDATE reads the whole table", "move VALIDATE CONSTRAINT to a step of "
                "its own"))
        found = _sql.alter_table(context, statement)
        if found is None:
            continue
        table, actions = found
        not_valid = _sql.not_valid(context, statement)
        for added, definition in (c for action in actions for c in _sql.constraints(action)):
            if not_valid:
                added_not_valid.add(added)
            elif isinstance(definition, exp.CheckColumnConstraint) and table not in context.created_tables:
                label = f"the CHECK `{added}`" if added else "a CHECK"
                findings.append(Finding(
                    step.id, CODE, LEVEL, f"adding {label} reads every row of `{table}` under an ACCESS EXCLUSIVE "
                    "lock: reads and writes wait until it is done",
                    "add it NOT VALID, then VALIDATE CONSTRAINT it in a later step, which lets reads and writes "
                    "go on"))
    return findings
