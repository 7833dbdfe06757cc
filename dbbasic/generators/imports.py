"""Compile an import task (`import:` / `one_time_tasks:`) into a plan of one import step.

The source is read at compile time, once: its format is detected (delimiter, quoting, encoding, records
wrapped in quotes) and recorded in the step with the file's digest, so that a run reads the file exactly
as the reviewer saw it described, and refuses a file that changed since. Each rule is understood by a
recogniser of the rule library (free text) or taken in its structured form; a rule nothing understands is
translated by the LLM planner into structured rules of the library (`planned`, from its guarded, cached
answer), or else an error that names it and lists the phrasings that are understood.
Columns go to the fields of the same name (ignoring case, spaces and punctuation) unless a `map_field`
rule says otherwise; a required field that gets no value is an error before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from dbbasic.errors import Problem, SpecError
from dbbasic.importers import rules
from dbbasic.importers.digest import file_digest
from dbbasic.importers.headers import match_columns
from dbbasic.importers.rules import map_field
from dbbasic.importers.source import SourceError, SourceFormat, detect
from dbbasic.plan.model import ImportStep, Plan
from dbbasic.specs.model import DataModel, FieldType, ImportTask, Table
from dbbasic.sql import ddl
from dbbasic.sql.dialect import Dialect

NAME = "imports"
VERSION = 1
STEP_ID = "1-import"


@dataclass(frozen=True)
class SourceFile:
    """What compiling reads of a source, once for every dialect: how to read it, and its digest."""

    format: SourceFormat
    sha256: str


def read_source(task: ImportTask, root: Path) -> SourceFile:
    """Detect how the task's source is read; SpecError at the task when it cannot be."""
    source = task.options["source"]
    path = root / source["path"]
    try:
        fmt = detect(path, source.get("format"), source.get("encoding"), source.get("delimiter"), source.get("table"),
                     source.get("wrapped"))
        return SourceFile(fmt, file_digest(path))
    except (SourceError, OSError) as exc:
        _fail(task, "source-unreadable", f"import '{task.name}': {exc}", "fix the file, or say how to read it in "
              "`source:` (`format`, `encoding`, `delimiter`, `table`)")


Planned = Mapping[str, Sequence[Mapping[str, Any]]]
"""A rule text (or a quirk) -> the structured rules the LLM planner translated it into."""


def unrecognised_rules(task: ImportTask, model: DataModel) -> list[str]:
    """The free-text rules of the task that no recogniser of the library understands: the planner's part."""
    types = field_types(task, model)
    return [r for r in task.options.get("rules", []) if isinstance(r, str) and rules.understand(r, types) is None]


def field_types(task: ImportTask, model: DataModel) -> dict[str, FieldType]:
    """The semantic type each field of the import's target stores (a ref, its key's): what rules read."""
    table = model.table(task.options["target"]["model"])
    assert table is not None, "validated: the target is in the data model"
    return {f.name: ddl.column_type(Dialect.get("postgres"), f, model) for f in table.fields}


def compile_import(task: ImportTask, model: DataModel, dialect: Dialect, source_file: SourceFile,
                   planned: Planned | None = None, planner: dict[str, Any] | None = None) -> Plan:
    """The plan of one import task in one dialect; SpecError, located at the task or its rule, for what
    cannot be compiled: a rule not understood (nor `planned`), a required field left without a value.
    `planner` is what plan.md says of the planner's answer, when `planned` holds one."""
    spec, fmt = task.options, source_file.format
    table = model.table(spec["target"]["model"])
    assert table is not None, "validated: the target is in the data model"
    if len(table.primary_key) != 1:
        _fail(task, "import-key", f"the key of '{table.name}' has {len(table.primary_key)} columns; an import "
              "records the rows it loads by a single-column key", "import into a table with one key column")
    source = spec["source"]
    types = field_types(task, model)
    understood = _understand(task, types, fmt.columns, planned or {})
    mapped = {map_field.source_column(r["parameters"], fmt.columns) or r["parameters"]["from"]: r["parameters"]["to"]
              for r in understood if r["rule"] == "map_field"}
    try:
        columns = match_columns(fmt.columns, [f.name for f in table.fields], mapped)
    except ValueError as exc:
        _fail(task, "column-clash", f"import '{task.name}': {exc}", "add a rule that maps one of the columns "
              "(\"Map 'Column' field to 'field'\")")
    loaded = _loaded_fields(task, table, dialect, columns, understood, fmt.columns)
    step = ImportStep(
        STEP_ID, source["path"], source_file.sha256, asdict(fmt), table.name, table.primary_key[0], columns,
        {name: _type(types[name], table, dialect, name) for name in loaded}, tuple(understood),
        defaults={f.name: default for f in table.fields if f.name in loaded
                  and (default := dialect.default_sql(f)) is not None},
        on_error=spec.get("on_error", "reject"), down=_down(dialect, task.id, table),
        description=f"Import {source['path']} into {table.name}")
    quirks = "".join(f"\n- {q}" for q in source.get("quirks", []))
    description = (source.get("type", "") + (f"\n\nQuirks the spec notes:{quirks}" if quirks else "")).strip()
    return Plan(id=task.id, task=f"Import {source['path']} into {table.name}", dialect=dialect.name,
                description=description, source=task.source, generator=NAME, generator_version=VERSION,
                steps=(step,), planner=planner if planned else None)


def _understand(task: ImportTask, types: dict[str, FieldType], columns: tuple[str, ...], planned: Planned
                ) -> list[dict[str, Any]]:
    """Each rule of the task as the library understands it, then the rules the planner gave the source's
    quirks; every problem of every rule at once."""
    problems: list[Problem] = []
    understood = []
    quirks: list[tuple[int | None, str]] = [(None, q) for q in task.options["source"].get("quirks", [])
                                            if q in planned]
    for i, rule in [*enumerate(task.options.get("rules", [])), *quirks]:
        line = task.rule_lines[i] if i is not None and i < len(task.rule_lines) else task.source.line
        written = rule if isinstance(rule, str) else json.dumps(rule, sort_keys=True)
        by_planner = isinstance(rule, str) and rule in planned
        found: list[tuple[ModuleType, dict[str, Any]]] = []
        if by_planner:  # the planner's translation, which its guard read (planner/rule_guard.py)
            found = [rules.structured(spec) for spec in planned[rule]]
        elif isinstance(rule, str):
            one = rules.understand(rule, types)
            if one is None:
                problems.append(Problem(task.source.file, line, 1, "error", "rule-not-understood",
                                        f"import '{task.name}': no rule of the library understands {rule!r}",
                                        "write it as one of the phrasings each rule understands, or in a rule's "
                                        "structured form (docs/imports.md#rules), or configure a model for the "
                                        "LLM planner to translate it (docs/planner.md):\n" + rules.phrasebook()))
                continue
            found = [one]
        else:
            try:
                found = [rules.structured(rule)]
            except ValueError as exc:
                problems.append(Problem(task.source.file, line, 1, "error", "unknown-rule",
                                        f"import '{task.name}': {exc}", "docs/imports.md#rules lists the rules"))
                continue
        for module, parameters in found:
            for message in module.check(parameters, types, columns):
                problems.append(Problem(task.source.file, line, 1, "error", "rule-parameter",
                                        f"import '{task.name}', rule {written!r}: {message}",
                                        rules.takes(module)))
            entry = {"rule": module.NAME, "parameters": parameters, "written": written}
            understood.append({**entry, "planner": True} if by_planner else entry)
    if problems:
        raise SpecError(problems)
    return understood


def _loaded_fields(task: ImportTask, table: Table, dialect: Dialect, columns: dict[str, str],
                   understood: list[dict[str, Any]], source_columns: tuple[str, ...]) -> list[str]:
    """The fields an import writes, in the table's order: those a column goes to, and those a rule fills
    (a `default`). A required field without a value of its own or a default of the model is an error."""
    filled = set(columns.values()) | {name for r in understood if r["rule"] == "default"
                                      for name in r["parameters"]["fields"]}
    problems = []
    for field in table.fields:
        generated = field.name in table.primary_key and field.type.name in ("id", "uuid")
        if (field.required and field.name not in filled and dialect.default_sql(field) is None
                and not generated):
            problems.append(Problem(task.source.file, task.source.line, 1, "error", "required-field-unfilled",
                                    f"import '{task.name}': field '{table.name}.{field.name}' is required, and no "
                                    "column of the source goes to it",
                                    f"map a column to it (\"Map 'Column' field to '{field.name}'\") or give it a "
                                    "default rule; the source's columns: " + (", ".join(source_columns) or "none")))
    if problems:
        raise SpecError(problems)
    return [f.name for f in table.fields if f.name in filled]


def _type(stored: FieldType, table: Table, dialect: Dialect, name: str) -> dict[str, Any]:
    """How the loader casts a field: its stored type, an enum's values, and whether an empty value is an
    error (a required field without a default, which the database would refuse anyway, less clearly)."""
    field = table.field(name)
    assert field is not None
    return {"type": stored.name, "args": list(stored.args), "values": list(field.values),
            "required": field.required and dialect.default_sql(field) is None}


def _down(dialect: Dialect, plan_id: str, table: Table) -> tuple[str, ...]:
    """Remove exactly the rows the import loaded (the runner records their keys), then its records."""
    q, ours = dialect.quote, f"plan_id = {dialect.literal(plan_id)} AND step_id = {dialect.literal(STEP_ID)}"
    return (f"DELETE FROM {q(table.name)} WHERE CAST({q(table.primary_key[0])} AS TEXT) IN "
            f"(SELECT row_key FROM {ImportStep.ROWS_TABLE} WHERE {ours})",
            f"DELETE FROM {ImportStep.ROWS_TABLE} WHERE {ours}",
            f"DELETE FROM {ImportStep.KEYS_TABLE} WHERE {ours}")


def _fail(task: ImportTask, code: str, message: str, hint: str) -> NoReturn:
    raise SpecError([Problem(task.source.file, task.source.line, 1, "error", code, message, hint)])
