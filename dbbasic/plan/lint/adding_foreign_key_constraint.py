"""A foreign key added to an existing PostgreSQL table without NOT VALID.

Problem: adding a foreign key checks every existing row against the referenced table while holding
SHARE ROW EXCLUSIVE locks on both tables: writes to either wait until the whole table is checked
(reads go on, so it is a warning). `ADD COLUMN ... REFERENCES` does the same. Squawk's rule of the
same name; Squawk also reports the statement as `constraint-missing-not-valid`, which dbbasic keeps
for CHECK constraints, so a statement gets one finding. Tables created in the same plan are empty,
so the rule stays silent for them; it is silent on SQLite.

Solution: add the constraint with `NOT VALID` (new and changed rows are checked from then on, the lock
is brief), then `ALTER TABLE ... VALIDATE CONSTRAINT ...` in a later step: it checks the existing rows
while reads and writes go on. For a new column, add the column first, then the constraint that way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from dbbasic.plan.lint import _sql
from dbbasic.plan.model import Finding, Level, Step

if TYPE_CHECKING:
    from dbbasic.plan.lint import LintContext

CODE = "adding-foreign-key-constraint"
LEVEL: Level = "warning"
HELP = "add it NOT VALID, then VALIDATE CONSTRAINT it in a later step, which lets reads and writes go on"


def check(step: Step, context: LintContext) -> list[Finding]:
    if context.dialect.name != "postgres":
        return []
    findings = []
    for statement, table, action in _sql.altered(step, context):
        if isinstance(action, exp.ColumnDef):
            refs = [k for k in _sql.column_constraints(action) if isinstance(k, exp.Reference)]
            findings += [Finding(step.id, CODE, LEVEL, f"adding `{action.name}` with a reference to "
                                 f"`{_target(ref)}` checks every row of `{table}` while writes to both "
                                 "tables wait", "add the column first, then the foreign key NOT VALID, and "
                                 "VALIDATE CONSTRAINT it in a later step") for ref in refs]
        elif not _sql.not_valid(context, statement):
            for name, definition in _sql.constraints(action):
                if isinstance(definition, exp.ForeignKey):
                    label = f"the foreign key `{name}`" if name else "a foreign key"
                    findings.append(Finding(
                        step.id, CODE, LEVEL, f"adding {label} checks every row of `{table}` under SHARE ROW "
                        f"EXCLUSIVE locks on `{table}` and `{_target(definition.args.get('reference'))}`: "
                        "writes to both wait until it is done", HELP))
    return findings


def _target(reference: exp.Expression | None) -> str:
    table = reference.find(exp.Table) if reference is not None else None
    return table.name if table is not None else "?"
