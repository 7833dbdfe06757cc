"""Validate loaded spec documents and build the typed model (`Specs`).

Order: top-level keys, then the JSON Schema of each section, then the checks a schema cannot express
(see data.py, migrations.py, and the project and scaling checks below). Every problem is collected
with its position and reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dbbasic.errors import Problem
from dbbasic.specs.data import DataModelBuilder
from dbbasic.specs.loader import Document, JsonPath
from dbbasic.specs.migrations import PLAN_ID, MigrationBuilder
from dbbasic.specs.model import (
    CommonMigration,
    ImportTask,
    LlmSettings,
    Migration,
    Project,
    Scaling,
    Source,
    Specs,
    Target,
)
from dbbasic.specs.ranges import coverage_problems, parse_range
from dbbasic.specs.schema import TOP_LEVEL, load_schema
from dbbasic.specs.schema_errors import schema_problems, suggest
from dbbasic.sql.dialect import Dialect

SCHEMA_PLAN_ID = "schema"


@dataclass(frozen=True)
class Section:
    doc: Document
    key: str
    value: Any

    @property
    def path(self) -> JsonPath:
        return (self.key,)


def validate(docs: list[Document], root: Path) -> tuple[Specs | None, list[Problem]]:
    """The typed model of the specs, or None with the problems that prevent it; warnings come either way."""
    problems: list[Problem] = []
    sections = _sections(docs, problems)
    if any(p.level == "error" for p in problems):
        return None, problems
    project = _project([s for s in sections if s.key == "project"], problems)
    data = DataModelBuilder(project.dialects, problems)
    for section in sections:
        if section.key == "data":
            data.add(section.doc, section.path, section.value)
    model = data.build()
    commons = _common_migrations([s for s in sections if s.key == "common_migrations"], problems)
    builder = MigrationBuilder(project, model, problems, {c.name: c for c in commons})
    migrations: list[Migration | None] = []
    imports: list[ImportTask] = []
    for section in sections:
        doc, path, value = section.doc, section.path, section.value
        stem = str(PurePosixPath(doc.file).relative_to("specs").with_suffix("")) \
            if doc.file.startswith("specs/") else PurePosixPath(doc.file).stem
        if section.key == "migration":
            migrations.append(builder.build(doc, path, value, stem))
        elif section.key == "migrations":
            migrations += [builder.build(doc, path + (i,), m, f"{stem}/{i + 1}") for i, m in enumerate(value)]
        elif section.key in ("import", "one_time_tasks"):
            tasks = {stem: value} if section.key == "import" else value
            for name, task in tasks.items():
                where = path if section.key == "import" else path + (name,)
                plan_id = stem if section.key == "import" else f"{stem}/{name}"
                imports.append(_import_task(doc, where, name, plan_id, task, model.table, root, problems))
    scaling = _scaling([s for s in sections if s.key == "scaling"], model.table, problems)
    found = [m for m in migrations if m is not None]
    _check_plan_ids([*found, *imports], problems)
    if any(p.level == "error" for p in problems):
        return None, problems
    # Apply order is the order of writing: by file, then by place in the file (`list/10` after `list/2`).
    ordered = tuple(sorted(found, key=lambda m: (m.source.file, m.source.line)))
    return Specs(project, model, ordered, tuple(imports), scaling, tuple(commons)), problems


def _common_migrations(sections: list[Section], problems: list[Problem]) -> list[CommonMigration]:
    """Every `common_migrations:` entry of every file; a name defined twice is an error at the second."""
    found: dict[str, CommonMigration] = {}
    for section in sections:
        for name, spec in section.value.items():
            at = section.doc.pos(section.path + (name,), key=True)
            source = Source(section.doc.file, at.line, section.doc.sha256)
            if name in found:
                first = found[name].source
                problems.append(section.doc.problem(section.path + (name,), "duplicate-common-migration",
                                                    f"common migration '{name}' is defined twice (first at "
                                                    f"{first.file}:{first.line})", "give one of them another name",
                                                    key=True))
                continue
            parameters = {k: v for k, v in spec.items() if k not in ("pattern", "description")}
            found[name] = CommonMigration(name, spec["pattern"], source, parameters, spec.get("description", ""))
    return list(found.values())


def _sections(docs: list[Document], problems: list[Problem]) -> list[Section]:
    sections = []
    for doc in docs:
        for key, value in doc.data.items():
            if key not in TOP_LEVEL:
                problems.append(doc.problem((key,), "unknown-section", f"unknown top-level key '{key}'",
                                            suggest(key, list(TOP_LEVEL)), key=True))
                continue
            schema_name, container = TOP_LEVEL[key]
            schema = load_schema(schema_name)
            if container == "one":
                problems += schema_problems(doc, (key,), value, schema, key)
            elif container == "list" and not isinstance(value, list):
                problems.append(doc.problem((key,), "schema-type", f"'{key}' must be a list",
                                            f"write each item under `{key}:` starting with `- `"))
            elif container == "map" and not isinstance(value, dict):
                problems.append(doc.problem((key,), "schema-type", f"'{key}' must be a mapping of names",
                                            f"write `{key}:` then `name:` entries"))
            else:
                items = enumerate(value) if container == "list" else value.items()
                for item_key, item in items:
                    problems += schema_problems(doc, (key, item_key), item, schema, str(item_key))
            sections.append(Section(doc, key, value))
    for key in ("project", "scaling"):
        found = [s for s in sections if s.key == key]
        for extra in found[1:]:
            first = found[0].doc.pos((key,), key=True)
            problems.append(extra.doc.problem((key,), f"duplicate-{key}", f"'{key}' is defined twice (first at "
                                              f"{found[0].doc.file}:{first.line}:{first.col})",
                                              f"keep one `{key}:` section", key=True))
    return sections


def _project(sections: list[Section], problems: list[Problem]) -> Project:
    if not sections:
        return Project()
    doc, spec = sections[0].doc, sections[0].value
    dialect = spec.get("dialect", "postgres")
    targets = []
    for name, target in spec.get("targets", {}).items():
        url = target if isinstance(target, str) else target["url"]
        declared = None if isinstance(target, str) else target.get("dialect")
        inferred = Dialect.for_url(url)
        if declared is None and inferred is None and "${" not in url:
            problems.append(doc.problem(("project", "targets", name), "target-url",
                                        f"target '{name}' is not a URL dbbasic can connect to",
                                        "write sqlite:///path/to.db or postgresql://user@host/db"))
        targets.append(Target(name, url, declared or (inferred.name if inferred else None)))
    dialects = spec.get("dialects") or [dialect] + sorted({t.dialect for t in targets if t.dialect} - {dialect})
    if dialect not in dialects:
        problems.append(doc.problem(("project", "dialects"), "dialects", f"dialects must include '{dialect}'",
                                    f"add {dialect} to the list, or change `dialect:`"))
    llm = spec.get("llm", {})
    settings = LlmSettings(llm.get("model"), llm.get("base_url"), llm.get("api_key_env", "OPENAI_API_KEY"),
                           llm.get("profile"))
    return Project(spec.get("name", "dbbasic-project"), dialect, tuple(dialects), tuple(targets), settings)


def _import_task(doc: Document, path: JsonPath, name: str, plan_id: str, task: dict[str, Any], table: Any,
                 root: Path, problems: list[Problem]) -> ImportTask:
    if not PLAN_ID.match(plan_id) or ".." in plan_id.split("/"):
        problems.append(doc.problem(path, "plan-id", f"'{plan_id}' cannot be a plan id (it is made of the file's "
                                    "path and the import's name)", "use lower-case words, digits, `_`, `-` and "
                                    "`.` in the import's name and file name", key=True))
    model = task["target"]["model"]
    if table(model) is None:
        problems.append(doc.problem(path + ("target", "model"), "unknown-model",
                                    f"import target '{model}' is not in the data model", "add it under `data:`"))
    source = task["source"]["path"]
    try:
        found = (root / source).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        found = False
    if not found:
        problems.append(doc.problem(path + ("source", "path"), "source-missing", f"source file '{source}' not found",
                                    "paths are relative to the project directory"))
    rule_lines = tuple(doc.pos(path + ("rules", i)).line for i in range(len(task.get("rules", []))))
    return ImportTask(name, Source(doc.file, doc.pos(path, key=True).line, doc.sha256), task, plan_id, rule_lines)


def _scaling(sections: list[Section], table: Any, problems: list[Problem]) -> Scaling | None:
    if not sections:
        return None
    doc, spec, path = sections[0].doc, sections[0].value, sections[0].path
    if "type" in spec and "automatic_tiers" in spec:
        problems.append(doc.problem(path + ("type",), "scaling-form", "`type:` (short form) and "
                                    "`automatic_tiers:` (full form) do not mix", "keep one of the two", key=True))
    if "users" in spec and parse_range(spec["users"]) is None:
        problems.append(doc.problem(path + ("users",), "range", f"'{spec['users']}' is not a range",
                                    "write `< 1000`, `1000-10000` or `\"> 100000\"`"))
    tiers = []
    metrics = set()
    for name, tier in spec.get("automatic_tiers", {}).items():
        keys = [k for k in tier if k != "config"]
        if len(keys) != 1:
            problems.append(doc.problem(path + ("automatic_tiers", name), "tier-metric",
                                        f"tier '{name}' must name exactly one metric range (found {len(keys)})",
                                        "write e.g. `users: 1000-10000` beside `config:`", key=True))
            continue
        metrics.add(keys[0])
        rng = parse_range(tier[keys[0]])
        if rng is None:
            problems.append(doc.problem(path + ("automatic_tiers", name, keys[0]), "range",
                                        f"'{tier[keys[0]]}' is not a range (low must be below high)",
                                        "write `< 1000`, `1000-10000` or `\"> 100000\"`"))
        else:
            tiers.append((name, rng))
    if len(metrics) > 1:
        problems.append(doc.problem(path + ("automatic_tiers",), "tier-metric",
                                    f"tiers use different metrics: {', '.join(sorted(metrics))}",
                                    "use one metric for every tier"))
    for tier_name, message in coverage_problems(tiers):
        problems.append(doc.problem(path + ("automatic_tiers", tier_name), "tier-ranges", message,
                                    "make each tier start where the previous one ends", key=True))
    metric_names = metrics | ({"users"} if "users" in spec else set())
    for metric in metric_names:
        if "metric" not in spec and table(metric) is None:
            problems.append(doc.problem(path, "tier-metric", f"metric '{metric}' counts the rows of table "
                                        f"'{metric}', which is not in the data model",
                                        "add the table, or `metric: {sql: \"SELECT count(*) FROM ...\"}`", key=True))
    for tname in spec.get("partitioning", {}):
        if table(tname) is None:
            problems.append(doc.problem(path + ("partitioning", tname), "unknown-model",
                                        f"'{tname}' is not in the data model", "partition a table of `data:`",
                                        key=True))
    return Scaling(Source(doc.file, doc.pos(path, key=True).line, doc.sha256), spec)


def _check_plan_ids(tasks: list[Migration | ImportTask], problems: list[Problem]) -> None:
    seen: dict[str, Migration | ImportTask] = {}
    for task in tasks:
        if task.id == SCHEMA_PLAN_ID or task.id in seen:
            other = seen.get(task.id)
            where = f"{other.source.file}:{other.source.line}" if other else "the data model's plan"
            problems.append(Problem(task.source.file, task.source.line, 1, "error", "duplicate-plan-id",
                                    f"plan id '{task.id}' is already used by {where}",
                                    "give this migration its own `id:`" if isinstance(task, Migration)
                                    else "rename the import or its file"))
        seen[task.id] = task
