"""The pattern library: deterministic recipes for common migrations, one pattern per module.

A pattern module exposes `NAME` (what `pattern:` says), `VERSION` (bumped when its plans change), `USAGE`
(its parameters, for hints), a docstring that starts with a one-line summary and shows the YAML that
triggers it, and `build(migration, model, dialect) -> tuple[Step, ...]`, which raises `SpecError` for bad
parameters. Steps go expand -> backfill -> verify (-> contract, where the pattern has one), each with its
`down`. `PATTERNS` is the only registry; docs/patterns.md describes each.

    plan = compile_pattern(migration, specs.data, Dialect.get("sqlite"))
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from types import ModuleType

from dbbasic.errors import Problem, SpecError
from dbbasic.generators.patterns import (
    add_column,
    add_foreign_key,
    add_index,
    add_not_null,
    add_soft_delete,
    add_unique,
    change_type,
    drop_column,
    merge_duplicates,
    normalize_phones,
    rename_column,
    split_name_field,
    standardize_timezones,
)
from dbbasic.generators.patterns._common import choices, fail
from dbbasic.plan.model import Plan
from dbbasic.specs.model import CommonMigration, DataModel, Migration
from dbbasic.sql.dialect import Dialect

PATTERNS: tuple[ModuleType, ...] = (
    add_column,
    add_foreign_key,
    add_index,
    add_not_null,
    add_soft_delete,
    add_unique,
    change_type,
    drop_column,
    merge_duplicates,
    normalize_phones,
    rename_column,
    split_name_field,
    standardize_timezones,
)
BY_NAME: dict[str, ModuleType] = {p.NAME: p for p in PATTERNS}


def compile_pattern(migration: Migration, model: DataModel, dialect: Dialect) -> Plan:
    """The plan of a `pattern:` migration in one dialect; SpecError (located at the migration) when the
    pattern is unknown or its parameters do not fit the data model."""
    if migration.kind != "pattern":
        raise ValueError(f"migration {migration.id} is of kind {migration.kind}, not pattern")
    common = migration.common
    if common is not None:
        problems = check_common_migrations([common])
        if problems:
            raise SpecError(problems)
    name = migration.options.get("pattern")
    pattern = BY_NAME.get(name) if isinstance(name, str) else None
    if pattern is None:
        fail(migration, "unknown-pattern", f"there is no pattern named {name!r}", _known(str(name)))
    steps = pattern.build(migration, model, dialect)
    description = migration.description or (common.description if common else "")
    if common is not None:
        description = (description + "\n\n" if description else "") + (
            f"Common migration `{common.name}` ({common.source.file}:{common.source.line}): pattern "
            f"`{common.pattern}` with {json.dumps(common.parameters, sort_keys=True)} bound.")
    return Plan(id=migration.id, task=migration.task, description=description, dialect=dialect.name,
                source=migration.source, generator=f"pattern.{pattern.NAME}", generator_version=pattern.VERSION,
                steps=steps)


def check_common_migrations(commons: Iterable[CommonMigration]) -> list[Problem]:
    """Each common migration binds a library pattern, under a name that hides none."""
    problems = []
    for common in commons:
        where = common.source
        if common.name in BY_NAME:
            problems.append(Problem(where.file, where.line, 1, "error", "common-migration-name",
                                    f"common migration '{common.name}' has the name of a library pattern, which "
                                    "it would hide", "give it a name of its own"))
        if common.pattern not in BY_NAME:
            problems.append(Problem(where.file, where.line, 1, "error", "unknown-pattern",
                                    f"common migration '{common.name}' binds '{common.pattern}', which is not a "
                                    "library pattern", _known(common.pattern)))
    return problems


def _known(name: str) -> str:
    return choices(name, list(BY_NAME), "known patterns") + "docs/patterns.md describes each"
