"""The pattern library: deterministic recipes for common migrations, one pattern per module.

A pattern module exposes `NAME` (what `pattern:` says), `VERSION` (bumped when its plans change), `USAGE`
(its parameters, for hints), a docstring that starts with a one-line summary and shows the YAML that
triggers it, and `build(migration, model, dialect) -> tuple[Step, ...]`, which raises `SpecError` for bad
parameters. Steps go expand -> backfill -> verify (-> contract, where the pattern has one), each with its
`down`. `PATTERNS` is the only registry; docs/patterns.md describes each.

    plan = compile_pattern(migration, specs.data, Dialect.get("sqlite"))
"""

from __future__ import annotations

from types import ModuleType

from dbbasic.generators.patterns import add_soft_delete, split_name_field
from dbbasic.generators.patterns._common import choices, fail
from dbbasic.plan.model import Plan
from dbbasic.specs.model import DataModel, Migration
from dbbasic.sql.dialect import Dialect

PATTERNS: tuple[ModuleType, ...] = (add_soft_delete, split_name_field)
BY_NAME: dict[str, ModuleType] = {p.NAME: p for p in PATTERNS}


def compile_pattern(migration: Migration, model: DataModel, dialect: Dialect) -> Plan:
    """The plan of a `pattern:` migration in one dialect; SpecError (located at the migration) when the
    pattern is unknown or its parameters do not fit the data model."""
    if migration.kind != "pattern":
        raise ValueError(f"migration {migration.id} is of kind {migration.kind}, not pattern")
    name = migration.options.get("pattern")
    pattern = BY_NAME.get(name) if isinstance(name, str) else None
    if pattern is None:
        fail(migration, "unknown-pattern", f"there is no pattern named {name!r}",
             choices(str(name), list(BY_NAME), "known patterns") + "docs/patterns.md describes each")
    steps = pattern.build(migration, model, dialect)
    return Plan(id=migration.id, task=migration.task, description=migration.description, dialect=dialect.name,
                source=migration.source, generator=f"pattern.{pattern.NAME}", generator_version=pattern.VERSION,
                steps=steps)
