"""The planner's prompts: Jinja2 templates in planner/prompts/, a system and a user template per task kind
(`migration`: a `specification:` migration; `import`: an import's rules no recogniser understood and, with
`ai_handles:`, its source's quirks), rendered from the spec.

What a prompt holds is what the model may know: the spec as its author wrote it, the schema as DDL in each
dialect the project compiles for, and what dbbasic already has (the step kinds the runner executes and the
library's patterns; for an import, the rule library and the source's column names). Never a row of data: a
prompt is built before any database or source file is read for rows.

Each prompt carries its version: the digest of its template files and of what it shows of dbbasic itself (the
patterns, the rule library), so that a cached answer is asked again when the question it answered changed.
Task kind K renders prompts/K.system.j2 and prompts/K.user.j2.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import yaml

from dbbasic.generators.patterns import PATTERNS
from dbbasic.generators.schema import compile_data_model
from dbbasic.importers import rules
from dbbasic.plan.model import DdlStep, canonical
from dbbasic.specs.model import DataModel, ImportTask, Migration
from dbbasic.sql.dialect import Dialect


@dataclass(frozen=True)
class Prompt:
    kind: str
    template: str
    """The task kind's templates, e.g. migration.*.j2."""
    version: str
    """sha256 of the templates the prompt is made of (system and task): what a cached answer is keyed on."""
    messages: tuple[dict[str, str], ...]
    """system, then user: the chat messages as sent."""
    spec_sha256: str
    """Digest of the spec as the prompt shows it."""
    schema_sha256: str
    """Digest of the schema as the prompt shows it (DDL per dialect)."""


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("dbbasic.planner", "prompts"),
                              undefined=jinja2.StrictUndefined, autoescape=False,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def prompt_version(kind: str, library: Any) -> str:
    """The digest of the templates a `kind` prompt is rendered from, and of the `library` it shows."""
    folder = resources.files("dbbasic.planner").joinpath("prompts")
    templates = {name: folder.joinpath(name).read_text(encoding="utf-8") for name in _templates(kind)}
    return _sha(canonical({"templates": templates, "library": library}))


def _templates(kind: str) -> tuple[str, str]:
    return f"{kind}.system.j2", f"{kind}.user.j2"


def migration_prompt(migration: Migration, model: DataModel, dialects: tuple[str, ...]) -> Prompt:
    """The prompt of a `specification:` migration."""
    spec = {"task": migration.task, **migration.options}
    context: dict[str, Any] = {
        "dialects": dialects,
        "allow_destructive": migration.allow_destructive,
        "schema": {name: schema_ddl(model, Dialect.get(name)) for name in dialects},
        "patterns": [(p.NAME, _summary(p.__doc__ or "")) for p in PATTERNS],
        "spec_file": migration.source.file,
        "spec_yaml": yaml.safe_dump({"migration": spec}, sort_keys=False, allow_unicode=True, width=110),
        "ai_handles": _listed(migration.options.get("ai_handles")),
    }
    return _render("migration", context, context["patterns"])


def import_prompt(task: ImportTask, model: DataModel, dialects: tuple[str, ...], source_format: str,
                  columns: tuple[str, ...], asked: list[str], quirks: list[str]) -> Prompt:
    """The prompt of an import's rules that no recogniser understood (`asked`) and the source's `quirks` the
    model is trusted with; `columns` are the source's column names (its header: never a row)."""
    table = model.table(task.options["target"]["model"])
    assert table is not None, "validated: the target is in the data model"
    target = DataModel(tables=(table,), source=model.source)
    context: dict[str, Any] = {
        "schema": {"tables": {name: schema_ddl(target, Dialect.get(name)) for name in dialects},
                   "columns": list(columns)},
        "library": [{"name": m.NAME, "summary": _summary(m.__doc__ or ""), "parameters": m.PARAMETERS,
                     "phrasings": m.PHRASINGS} for m in rules.RULES],
        "source_path": task.options["source"]["path"], "source_type": task.options["source"].get("type", ""),
        "source_format": source_format,
        "spec_file": task.source.file,
        "spec_yaml": yaml.safe_dump({"one_time_tasks": {task.name: task.options}}, sort_keys=False,
                                    allow_unicode=True, width=110),
        "asked": asked, "quirks": quirks,
    }
    return _render("import", context, context["library"])


def schema_ddl(model: DataModel, dialect: Dialect) -> str:
    """The data model as the CREATE statements the schema generator writes for `dialect`."""
    plan = compile_data_model(model, dialect)
    steps = plan.steps if plan is not None else ()
    return "\n".join(f"{s};" for step in steps if isinstance(step, DdlStep) for s in step.up) or "-- no tables yet"


def _render(kind: str, context: dict[str, Any], library: Any) -> Prompt:
    env = _environment()
    system, user = (env.get_template(name).render(context) for name in _templates(kind))
    return Prompt(kind, f"{kind}.*.j2", prompt_version(kind, library),
                  ({"role": "system", "content": system}, {"role": "user", "content": user}),
                  _sha(context["spec_yaml"]), _sha(canonical(context["schema"])))


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _summary(docstring: str) -> str:
    return docstring.strip().splitlines()[0] if docstring.strip() else ""


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])
