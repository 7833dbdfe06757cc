"""Build migrations from `migration:` / `migrations:` sections.

Explicit SQL is resolved here for every dialect the project compiles for: kept as written for the dialect
it was written in, translated by sqlglot for the others, and refused (with the per-dialect form as the
fix) when sqlglot cannot translate it. Generators downstream never see a missing dialect.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from dbbasic.errors import Problem
from dbbasic.specs.loader import Document, JsonPath
from dbbasic.specs.model import (
    BatchedStepSpec,
    CheckStepSpec,
    CommonMigration,
    CopyStepSpec,
    DataModel,
    DialectSql,
    ManualStepSpec,
    Migration,
    MigrationKind,
    Project,
    Source,
    SqlStepSpec,
    StepSpec,
)
from dbbasic.specs.schema_errors import suggest
from dbbasic.sql.dialect import Dialect

MIGRATION_KINDS: tuple[MigrationKind, ...] = ("steps", "pattern", "specification", "move")
STEP_KINDS = ("sql", "batched", "copy", "check", "manual")
_BOUND = re.compile(r"%\((after|upto)\)s")
# Ids become directory names and SQL comments: plain segments only, no `..`, no control characters.
PLAN_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$")
STEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# The runner owns the transaction of each step; one of these inside a step would commit half of it.
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "ABORT"}


class MigrationBuilder:
    def __init__(self, project: Project, data: DataModel, problems: list[Problem],
                 commons: dict[str, CommonMigration] | None = None):
        self.project = project
        self.data = data
        self.problems = problems
        self.commons = commons or {}

    def build(self, doc: Document, path: JsonPath, spec: dict[str, Any], default_id: str) -> Migration | None:
        kinds = [k for k in MIGRATION_KINDS if k in spec]
        if len(kinds) != 1:
            message = ("a migration needs one of: " if not kinds else "a migration takes only one of: ")
            self.problems.append(doc.problem(path, "migration-kind", message + ", ".join(MIGRATION_KINDS),
                                             "`steps:` for explicit SQL, `pattern:` for a library pattern, "
                                             "`specification:` for the planner, `move:` for an engine move",
                                             key=True))
            return None
        kind = kinds[0]
        written_in = spec.get("dialect", self.project.dialect)
        steps: tuple[StepSpec, ...] = ()
        if kind == "steps":
            steps = self._steps(doc, path + ("steps",), spec["steps"], written_in)
        elif kind == "pattern":
            self._check_model_refs(doc, path, spec)
        elif kind == "move":
            self._check_move(doc, path + ("move",), spec["move"])
        common = self.commons.get(spec["pattern"]) if kind == "pattern" else None
        plan_id = spec.get("id", default_id)
        if not PLAN_ID.match(plan_id) or ".." in plan_id.split("/"):
            where = path + ("id",) if "id" in spec else path
            self.problems.append(doc.problem(where, "plan-id", f"'{plan_id}' cannot be a plan id",
                                             "use lower-case words, digits, `_`, `-`, `.` and `/` between segments "
                                             "(rename the file, or set `id:`)", key="id" not in spec))
        return Migration(
            id=plan_id, task=spec["task"], kind=kind,
            source=Source(doc.file, doc.pos(path, key=True).line, doc.sha256),
            description=spec.get("description", ""), written_in=written_in, steps=steps,
            allow_destructive=bool(spec.get("allow_destructive", False)),
            lint_ignore=dict(spec.get("lint", {}).get("ignore", {})),
            options={k: v for k, v in (common.bind(spec) if common else spec).items()
                     if k not in ("task", "id", "description", "steps")},
            common=common,
        )

    def _steps(self, doc: Document, path: JsonPath, specs: list[dict[str, Any]], written_in: str
               ) -> tuple[StepSpec, ...]:
        steps: list[StepSpec] = []
        seen: set[str] = set()
        for i, spec in enumerate(specs):
            where = path + (i,)
            kinds = [k for k in STEP_KINDS if k in spec]
            if len(kinds) != 1:
                self.problems.append(doc.problem(where, "step-kind", f"a step needs exactly one of: "
                                                 f"{', '.join(STEP_KINDS)} (found {', '.join(kinds) or 'none'})",
                                                 "split it into one step per kind"))
                continue
            kind = kinds[0]
            step_id = str(spec.get("id", f"{i + 1}-{kind}"))
            if not STEP_ID.match(step_id):
                self.problems.append(doc.problem(where + ("id",), "step-id", f"'{step_id}' cannot be a step id",
                                                 "use letters, digits, `_`, `-` and `.`"))
            if step_id in seen:
                self.problems.append(doc.problem(where + ("id",), "duplicate-step", f"step id '{step_id}' repeats",
                                                 "give each step its own id"))
            seen.add(step_id)
            step = self._step(doc, where, spec, kind, step_id, written_in)
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def _step(self, doc: Document, path: JsonPath, spec: dict[str, Any], kind: str, step_id: str,
              written_in: str) -> StepSpec | None:
        description = spec.get("description", "")
        if kind == "manual":
            return ManualStepSpec(step_id, spec["manual"], description)
        down = self._sql(doc, path + ("down",), spec["down"], written_in) if "down" in spec else None
        if kind == "copy":
            return self._copy(doc, path, spec, step_id, down)
        sql = self._sql(doc, path + (kind,), spec[kind], written_in)
        if kind == "check":
            if sql is not None and not all(len(stmts) == 1 and _is_query(Dialect.get(d), stmts[0])
                                           for d, stmts in sql.items()):
                self.problems.append(doc.problem(path + ("check",), "check-query",
                                                 "a check is one query (SELECT) returning one value",
                                                 "changes belong in `sql:` steps; split several queries into "
                                                 "several check steps"))
                sql = None
            if "expect" not in spec:
                self.problems.append(doc.problem(path, "check-expect", "a check step needs `expect:`",
                                                 "write the value the query must return, e.g. expect: 0"))
            return None if sql is None else CheckStepSpec(step_id, sql, spec.get("expect"), description)
        if kind == "batched":
            self._check_batched(doc, path, spec)
            if sql is None or "table" not in spec or "key" not in spec:
                return None
            return BatchedStepSpec(step_id, sql, spec["table"], spec["key"], int(spec.get("batch_rows", 5000)),
                                   int(spec.get("target_ms", 200)), down, description)
        if sql is None:
            return None
        return SqlStepSpec(step_id, sql, down, bool(spec.get("transactional", True)), description)

    def _copy(self, doc: Document, path: JsonPath, spec: dict[str, Any], step_id: str,
              down: DialectSql | None) -> CopyStepSpec | None:
        copy = spec["copy"]
        where = path + ("copy",)
        source = copy.get("from", "")
        if source and self.project.target(source) is None:
            self.problems.append(doc.problem(where + ("from",), "unknown-target", f"no target named '{source}'",
                                             suggest(source, [t.name for t in self.project.targets])
                                             or "add it under project.targets"))
        into = self.data.table(copy.get("into", copy["table"]))
        if into is None:
            self.problems.append(doc.problem(where + ("into",) if "into" in copy else where + ("table",),
                                             "unknown-model", f"'{copy.get('into', copy['table'])}' is not in the "
                                             "data model: a copy writes into a table of the data model",
                                             suggest(copy.get("into", copy["table"]),
                                                     [t.name for t in self.data.tables])))
            return None
        fields = [f.name for f in into.fields]
        columns = tuple(copy.get("columns", fields))
        for i, column in enumerate(columns):
            if column not in fields:
                self.problems.append(doc.problem(where + ("columns", i), "unknown-field",
                                                 f"'{column}' is not a field of '{into.name}'",
                                                 suggest(column, fields)))
        if copy["key"] not in columns:
            self.problems.append(doc.problem(where + ("key",), "copy-key", f"the key '{copy['key']}' is not among "
                                             "the copied columns", "add it to `columns:`; the key orders the copy"))
        elif copy["key"] not in into.primary_key and not getattr(into.field(copy["key"]), "unique", False):
            self.problems.append(doc.problem(where + ("key",), "copy-key", f"'{copy['key']}' is not unique in "
                                             f"'{into.name}': rows sharing a key could be copied twice or lost",
                                             "copy by the primary key or a unique field"))
        return CopyStepSpec(step_id, source, copy["table"], into.name, copy["key"], columns,
                            int(spec.get("batch_rows", 5000)), int(spec.get("target_ms", 200)), down,
                            spec.get("description", ""))

    def _check_batched(self, doc: Document, path: JsonPath, spec: dict[str, Any]) -> None:
        for key in ("table", "key"):
            if key not in spec:
                self.problems.append(doc.problem(path, "batched-needs", f"a batched step needs `{key}:`",
                                                 "batched steps walk `table` in order of `key`"))
        written = spec["batched"]
        texts = {(): written} if isinstance(written, str) else {(name,): text for name, text in written.items()}
        for where in [where for where, text in texts.items() if "%" in _BOUND.sub("", text).replace("%%", "")]:
            self.problems.append(doc.problem(path + ("batched", *where), "batched-percent",
                                             "a `%` in a batched statement is read as a placeholder (the statement "
                                             "is run with its %(after)s and %(upto)s bounds)",
                                             "write a literal percent (modulo, a LIKE pattern) as %%"))
        if any({"after", "upto"} - set(_BOUND.findall(text)) for text in texts.values()):
            self.problems.append(doc.problem(path + ("batched",), "batched-bounds",
                                             "a batched statement must use both %(after)s and %(upto)s",
                                             f"add `WHERE {spec.get('key', 'id')} > %(after)s AND "
                                             f"{spec.get('key', 'id')} <= %(upto)s`"))
        table = self.data.table(spec.get("table", ""))
        if "table" in spec and table is None:
            self.problems.append(doc.problem(path + ("table",), "unknown-model",
                                             f"table '{spec['table']}' is not in the data model",
                                             suggest(spec["table"], [t.name for t in self.data.tables])))
        elif table is not None and "key" in spec:
            field = table.field(spec["key"])
            if field is None:
                self.problems.append(doc.problem(path + ("key",), "unknown-field",
                                                 f"'{spec['key']}' is not a field of '{table.name}'",
                                                 suggest(spec["key"], [f.name for f in table.fields])))
            elif not field.required and field.name not in table.primary_key:
                self.problems.append(doc.problem(path + ("key",), "batched-key", f"'{field.name}' may be NULL: "
                                                 "rows with a NULL key would never be visited",
                                                 "walk the primary key, or a field with `required: true`"))

    def _sql(self, doc: Document, path: JsonPath, value: Any, written_in: str) -> DialectSql | None:
        resolved = self._resolve_sql(doc, path, value, written_in)
        for name, statements in (resolved or {}).items():
            words = [Dialect.get(name).tokens(s)[:1] for s in statements]
            control = [w[0][1].upper() for w in words if w and w[0][1].upper() in _TRANSACTION_CONTROL]
            if control:
                self.problems.append(doc.problem(path, "transaction-control", f"`{control[0]}` inside a step: "
                                                 "dbbasic runs each step in its own transaction",
                                                 "remove it; for statements that cannot run in a transaction, "
                                                 "use a step with `transactional: false`"))
                return None
        return resolved

    def _resolve_sql(self, doc: Document, path: JsonPath, value: Any, written_in: str) -> DialectSql | None:
        if isinstance(value, dict):
            missing = [d for d in self.project.dialects if d not in value]
            if missing:
                self.problems.append(doc.problem(path, "sql-dialect-missing",
                                                 f"no SQL for {', '.join(missing)}, which this project compiles for",
                                                 f"add `{missing[0]}: ...` here"))
                return None
            return {d: self._statements(Dialect.get(d), value[d]) for d in self.project.dialects}
        source = Dialect.get(written_in)
        statements = self._statements(source, value)
        result: DialectSql = {}
        for name in self.project.dialects:
            dialect = Dialect.get(name)
            translated = [dialect.translate(s, source) for s in statements]
            failed = [s for s, t in zip(statements, translated, strict=True) if t is None]
            if failed:
                self.problems.append(doc.problem(
                    path, "sql-translate", f"cannot translate this {source.name} SQL to {name}: {failed[0][:80]}",
                    f"write it per dialect: {{{source.name}: ..., {name}: ...}}"))
                return None
            result[name] = tuple(t for t in translated if t is not None)
        return result

    @staticmethod
    def _statements(dialect: Dialect, value: str | list[str]) -> tuple[str, ...]:
        texts = [value] if isinstance(value, str) else value
        return tuple(s for text in texts for s in dialect.split(text))

    def _check_model_refs(self, doc: Document, path: JsonPath, spec: dict[str, Any]) -> None:
        if "model" not in spec:
            return
        table = self.data.table(spec["model"])
        if table is None:
            self.problems.append(doc.problem(path + ("model",), "unknown-model",
                                             f"model '{spec['model']}' is not in the data model",
                                             suggest(spec["model"], [t.name for t in self.data.tables])))
            return
        names = ([spec["field"]] if "field" in spec else []) + list(spec.get("fields", []))
        fields = [f.name for f in table.fields]
        for i, name in enumerate(names):
            if name not in fields:
                where = path + ("field",) if "field" in spec and i == 0 else path + ("fields", i - ("field" in spec))
                self.problems.append(doc.problem(where, "unknown-field", f"'{name}' is not a field of '{table.name}'",
                                                 suggest(name, fields)))

    def _check_move(self, doc: Document, path: JsonPath, move: dict[str, str]) -> None:
        for end in ("from", "to"):
            name = move[end]
            if "://" not in name and self.project.target(name) is None:
                self.problems.append(doc.problem(path + (end,), "unknown-target", f"no target named '{name}'",
                                                 suggest(name, [t.name for t in self.project.targets])
                                                 or "add it under project.targets, or write a URL"))


def _is_query(dialect: Dialect, statement: str) -> bool:
    tree = dialect.parse(statement)
    return isinstance(tree, exp.Query)
