"""The guard: every answer a model gives passes it before it becomes a plan step.

An answer is `{"steps": [...]}` in the step format of an explicit migration (`steps:`, see
specs/schemas/migration.json `$defs/step`). The guard reads it as strictly as a reviewer would, in order:

1. the text is JSON, and each step validates against the step schema;
2. each SQL text is one statement that sqlglot parses in the target dialect: sqlglot keeps what it cannot
   parse (`DO`, `CALL`, `VACUUM`, `ALTER SYSTEM`) as an opaque `exp.Command`, which is refused, and a
   statement type is accepted only when it is on the list of its step kind (allow-list, not deny-list);
   comments are refused, as a second statement could hide in one; file, server and session functions
   (`pg_read_file`, `load_extension`, ...) are refused; statements that lose data (DROP, TRUNCATE,
   DELETE or UPDATE without WHERE) are refused unless the spec allows destructive steps, and then listed;
3. every table and column a statement names exists in the data model or is created by an earlier
   statement, followed on a model of the schema (sql/schema_state.py);
4. the steps go through the spec loader's own step checks (MigrationBuilder: bounds of batched steps,
   `expect` of checks, ...), are compiled as an explicit migration, and linted: lint errors refuse.

Every reason names the step (1-based, as in the default step ids `2-sql`) and says what to do instead.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dbbasic.errors import Problem
from dbbasic.generators.explicit import compile_explicit
from dbbasic.plan.lint import lint_plan
from dbbasic.plan.model import Step
from dbbasic.specs.loader import Document
from dbbasic.specs.migrations import MigrationBuilder
from dbbasic.specs.model import DataModel, Migration, Project, Source, StepSpec
from dbbasic.specs.schema import DRAFT_2020_12, load_schema
from dbbasic.specs.schema_errors import schema_problems
from dbbasic.sql.analyze import statement_effect
from dbbasic.sql.ddl import column_type
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.schema_state import SchemaState, apply_statement

ANSWER_FILE = "planner answer"
"""How problems found by the spec loader's checks name the answer."""
PLANNER_STEP_KINDS = ("sql", "batched", "check", "manual")
"""What the planner may propose: the explicit step kinds less `copy`, which reads other databases (the job of
a `move:` migration); `answer_schema` leaves it out."""

# Statement types per SQL role; anything else, exp.Command above all, is refused.
_CHANGES = (exp.Create, exp.Alter, exp.Insert, exp.Update, exp.Delete, exp.Drop, exp.TruncateTable)
_ALLOWED: dict[str, tuple[type, ...]] = {
    "sql": _CHANGES, "down": _CHANGES, "batched": (exp.Update, exp.Insert), "check": (exp.Query,),
}
_ALLOWED_WORDS = {
    "sql": "CREATE TABLE/INDEX, ALTER TABLE, INSERT, UPDATE or DELETE ... WHERE",
    "down": "CREATE TABLE/INDEX, ALTER TABLE, INSERT, UPDATE or DELETE ... WHERE",
    "batched": "UPDATE or INSERT with the %(after)s and %(upto)s bounds",
    "check": "a SELECT returning one value",
}
_CREATE_KINDS = {"TABLE", "INDEX"}
# Why a statement type never belongs in a step, whatever the spec allows.
_NEVER = {
    exp.Command: "sqlglot cannot read it (it keeps DO blocks, CALL, VACUUM, ALTER SYSTEM ... as opaque text), so "
                 "nothing about it can be checked",
    exp.Transaction: "transaction control: dbbasic runs each step in its own transaction",
    exp.Commit: "transaction control: dbbasic runs each step in its own transaction",
    exp.Rollback: "transaction control: dbbasic runs each step in its own transaction",
    exp.Grant: "privileges are not a migration's to change",
    exp.Revoke: "privileges are not a migration's to change",
    exp.Copy: "COPY reads and writes files and programs on the database server",
}
# Functions that reach the server's files, processes, sessions or extensions.
_FORBIDDEN_PREFIXES = ("pg_", "lo_", "dblink")
_FORBIDDEN_FUNCTIONS = {"set_config", "current_setting", "load_extension", "readfile", "writefile", "edit",
                        "fts3_tokenizer", "query_to_xml", "table_to_xml", "query_to_xml_and_xmlschema"}


@dataclass(frozen=True)
class Verdict:
    """The guard's answer: the steps, when accepted, or every reason it refused them."""

    steps: tuple[Step, ...]
    """Empty when refused."""
    reasons: tuple[str, ...]
    """Every reason for refusing, each naming the step and what to do instead."""
    destructive: tuple[str, ...] = ()
    """What accepted steps destroy (only with `allow_destructive`): shown in red to the reviewer."""

    @property
    def accepted(self) -> bool:
        return not self.reasons


@functools.cache
def answer_schema() -> dict[str, Any]:
    """The JSON Schema of an answer: the migration schema's steps, limited to the planner's step kinds (for the
    client's structured output too). Cached: do not mutate it."""
    migration = load_schema("migration")
    step = {k: v for k, v in migration["$defs"]["step"].items() if k != "properties"}
    step["properties"] = {k: v for k, v in migration["$defs"]["step"]["properties"].items() if k != "copy"}
    return {"$schema": DRAFT_2020_12, "title": "planner answer", "type": "object", "additionalProperties": False,
            "required": ["steps"],
            "properties": {"steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}}},
            "$defs": {**migration["$defs"], "step": step}}


def check_answer(text: str, *, model: DataModel, dialect: Dialect, allow_destructive: bool = False,
                 plan_id: str = "planner") -> Verdict:
    """Check a model's answer (JSON text) against the data model, for SQL in `dialect`."""
    doc = Document(ANSWER_FILE, {}, hashlib.sha256(text.encode()).hexdigest())
    specs, reasons = _read(doc, text)
    if reasons:
        return Verdict((), tuple(reasons))
    guard = _Guard(dialect, allow_destructive, _model_state(model, dialect))
    steps: list[StepSpec] = []
    ids: dict[str, tuple[int, str]] = {}  # step id -> (number, kind)
    for n, spec in enumerate(specs, start=1):
        kind = next(k for k in PLANNER_STEP_KINDS if k in spec)
        step_id = str(spec.get("id", f"{n}-{kind}"))
        if step_id in ids:
            reasons.append(f"step {n} ({kind}): its id '{step_id}' is the id of step {ids[step_id][0]}; "
                           "give each step its own id, or none")
        ids.setdefault(step_id, (n, kind))
        found = [f"step {n} ({kind}): {r}" for r in guard.step(kind, spec)]
        if not found:  # the loader's own checks, once the SQL is known to be safe to read
            built, problems = _build(model, doc, plan_id, dialect, {**spec, "id": step_id})
            found = [f"step {n} ({kind}): {p.message}" + (f"; {p.hint}" if p.hint else "") for p in problems]
            steps += built
        reasons += found
    if reasons:
        return Verdict((), tuple(reasons))
    migration = Migration(plan_id, "planner answer", "steps", Source(ANSWER_FILE, 1, doc.sha256),
                          written_in=dialect.name, steps=tuple(steps), allow_destructive=allow_destructive)
    plan = lint_plan(compile_explicit(migration, dialect), allow_destructive, indexed=model.indexed_columns())
    reasons = [f"step {ids[f.step][0]} ({ids[f.step][1]}): {f.message}; {f.help} [{f.rule}]"
               for f in plan.findings if f.level == "error"]
    if reasons:
        return Verdict((), tuple(reasons))
    return Verdict(plan.steps, (), tuple(guard.destructive))


def read_json(text: str, shape: str) -> tuple[Any, list[str]]:
    """The answer's JSON value, or why it is not JSON (`shape` shows what an answer looks like). Stricter
    than json.loads: a key written twice in one object and NaN are refused."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant), []
    except json.JSONDecodeError as error:
        return None, [f"answer: it is not JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
                      f"answer with one JSON object: {shape}"]
    except ValueError as error:
        return None, [f"answer: {error}"]
    except RecursionError:
        return None, [f"answer: it nests too deeply to be an answer; answer with one JSON object: {shape}"]


def _read(doc: Document, text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The answer's steps, or why the answer is not one: not JSON, or not the answer schema."""
    answer, reasons = read_json(text, '{"steps": [...]}')
    if reasons:
        return [], reasons
    schema = answer_schema()
    shape = {**schema, "properties": {"steps": {"type": "array", "minItems": 1}}}
    reasons = schema_reasons(doc, answer, shape, "the answer", "answer")
    if reasons:
        return [], reasons
    step_schema = {"$schema": DRAFT_2020_12, **schema["$defs"]["step"], "$defs": schema["$defs"]}
    for n, spec in enumerate(answer["steps"], start=1):
        found = schema_reasons(doc, spec, step_schema, f"step {n}", f"step {n}")
        reasons += found
        kinds = [k for k in PLANNER_STEP_KINDS if isinstance(spec, dict) and k in spec]
        if not found and len(kinds) != 1:
            reasons.append(f"step {n}: a step needs exactly one of {', '.join(PLANNER_STEP_KINDS)} (found "
                           f"{', '.join(kinds) or 'none'}); split it into one step per kind")
    return answer["steps"], reasons


def schema_reasons(doc: Document, value: Any, schema: dict[str, Any], what: str, prefix: str) -> list[str]:
    """Why `value` (`what`, for messages) does not fit `schema`, each reason led by `prefix`, with its hint."""
    return [f"{prefix}: {p.message}" + (f"; {p.hint}" if p.hint else "")
            for p in schema_problems(doc, (), value, schema, what)]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a repeated key is refused (json keeps the last one, which a reader of the answer may miss)."""
    keys = [key for key, _ in pairs]
    repeated = next((key for key in keys if keys.count(key) > 1), None)
    if repeated is not None:
        raise ValueError(f"the key '{repeated}' appears twice in one object; write each key once")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value; write a number")


def _build(model: DataModel, doc: Document, plan_id: str, dialect: Dialect, spec: dict[str, Any]
           ) -> tuple[list[StepSpec], list[Problem]]:
    """One step through the spec loader's checks, as a one-step explicit migration written in `dialect`."""
    problems: list[Problem] = []
    builder = MigrationBuilder(Project(dialect=dialect.name, dialects=(dialect.name,)), model, problems)
    migration = builder.build(doc, (), {"task": "planner answer", "id": plan_id, "dialect": dialect.name,
                                        "steps": [spec]}, plan_id)
    return (list(migration.steps) if migration is not None and not problems else []), problems


def _model_state(model: DataModel, dialect: Dialect) -> SchemaState:
    """The tables of the data model as the schema simulation sees them."""
    return SchemaState({t.name: [(f.name, dialect.column_type(column_type(dialect, f, model)), not f.required)
                                 for f in t.fields] for t in model.tables})


class _Guard:
    """The SQL checks, step after step, following what each step does to the schema."""

    def __init__(self, dialect: Dialect, allow_destructive: bool, state: SchemaState) -> None:
        self.dialect, self.allow_destructive, self.state = dialect, allow_destructive, state
        self.destructive: list[str] = []
        self.step_number = 0

    def step(self, kind: str, spec: dict[str, Any]) -> list[str]:
        self.step_number += 1
        if kind == "manual":
            return []
        before = self.state
        reasons = []
        for i, text in enumerate(self._texts(spec[kind]), start=1):
            where = f"statement {i}: " if isinstance(spec[kind], (list, dict)) else ""
            found, self.state = self._statement(kind, text, before, self.state)
            reasons += [where + r for r in found]
        if "down" in spec and not reasons:
            state = self.state  # down runs on what up leaves, and may drop what up made
            for i, text in enumerate(self._texts(spec["down"]), start=1):
                found, state = self._statement("down", text, before, state)
                reasons += [f"down statement {i}: {r}" for r in found]
        return reasons

    def _texts(self, value: str | list[str] | dict[str, Any]) -> list[str]:
        if isinstance(value, dict):
            value = value.get(self.dialect.name, [])
        return [value] if isinstance(value, str) else list(value)

    def _statement(self, role: str, text: str, before: SchemaState, state: SchemaState
                   ) -> tuple[list[str], SchemaState]:
        """Why `text` may not run in the `role` part of a step (`before` it, the schema was `before`), and the
        schema after it."""
        if not self.dialect.tokens(text):
            return [f"it does not read as {self.dialect.name} SQL (an unterminated string or quoted name?); "
                    "close every quote, and write one statement per item"], state
        pieces = self.dialect.split(text)
        if len(pieces) != 1:
            return [f"it holds {len(pieces)} statements (something follows a `;`); "
                    "write one statement per list item"], state
        # A batched statement is run with its bounds bound, so a literal percent is written %% (the loader says so).
        bound = self.dialect.bind_style(text).replace("%%", "%") if role == "batched" else text
        try:
            tree = sqlglot.parse_one(bound, read=self.dialect.sqlglot_name)
        except RecursionError:
            return ["it nests too deeply to be read; write it flatter"], state
        except SqlglotError as error:
            first = str(error).split("\n")[0]
            return [f"it does not parse as {self.dialect.name} SQL ({first}); "
                    f"write it in {self.dialect.name}'s own syntax"], state
        if not isinstance(tree, exp.Expression):
            return ["it is not a statement; write one SQL statement"], state
        reasons = list(self._refusals(role, tree))
        if not reasons:
            reasons = self._marked(role, tree, text, before)
        if not reasons:
            reasons = _unknown_references(tree, state)
        if reasons or role == "check":
            return reasons, state
        return [], apply_statement(state, self.dialect, bound)[0]

    def _refusals(self, role: str, tree: exp.Expression) -> Iterator[str]:
        if any(node.comments for node in tree.walk()):
            yield ("it holds a comment, where a second statement could hide; "
                   "put explanations in the step's `description`")
        for node in tree.walk():
            never = next((why for cls, why in _NEVER.items() if isinstance(node, cls)), None)
            if never is not None:
                yield f"`{_first_words(node)}` is refused: {never}; say what you need in a `manual` step"
                return
            if isinstance(node, exp.Func):
                name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
                if name.startswith(_FORBIDDEN_PREFIXES) or name in _FORBIDDEN_FUNCTIONS:
                    yield (f"it calls {name}(), which reaches the server's files, processes or settings; "
                           "use plain SQL on the tables of the data model")
                    return
        if not isinstance(tree, _ALLOWED[role]) or (isinstance(tree, exp.Create) and
                                                    str(tree.args.get("kind") or "").upper() not in _CREATE_KINDS) \
                or (isinstance(tree, exp.Alter) and str(tree.args.get("kind") or "").upper() != "TABLE"):
            yield (f"`{_first_words(tree)}` is not allowed in a `{role}` part; it takes {_ALLOWED_WORDS[role]}"
                   + ("; changes belong in `sql` steps" if role == "check" else ""))
            return
        for node in tree.walk():
            nested = node is not tree and isinstance(node, (*_CHANGES, exp.Into)) and not (
                isinstance(node, exp.Drop) and isinstance(tree, exp.Alter))
            if nested:
                yield (f"a `{_first_words(node)}` is nested inside the statement; "
                       "write each change as a statement of its own in an `sql` step")

    def _marked(self, role: str, tree: exp.Expression, text: str, before: SchemaState) -> list[str]:
        """Refuse a statement that loses data, unless allowed (then list it); a `down` may drop what its step
        made."""
        what = statement_effect(self.dialect, text).destructive if role != "batched" else ""
        if isinstance(tree, exp.Update) and not tree.args.get("where"):
            what = "updates every row"
        loses = bool(what)
        if isinstance(tree, exp.Drop) and not what:  # an index or a constraint: no data, but still a drop
            names = ", ".join(t.name for t in tree.find_all(exp.Table))
            what = f"drops {str(tree.args.get('kind') or '').lower()} {names}"
        if not what or (role == "down" and _undoes(tree, before)):
            return []
        if not self.allow_destructive:
            instead = ("add a WHERE that selects the rows to change" if isinstance(tree, (exp.Update, exp.Delete))
                       else "add a column or table instead, or leave the drop to a person in a `manual` step")
            return [f"it {what}, which " + ("cannot be brought back" if loses else "the planner does not do unasked")
                    + f"; {instead} (only a spec with `allow_destructive: true` accepts it)"]
        self.destructive.append(f"step {self.step_number}: {_first_words(tree, 8)} ({what})")
        return []


def _undoes(tree: exp.Expression, before: SchemaState) -> bool:
    """Whether a `down` statement only drops what holds no data (an index) or tables and columns that did not
    exist before the step."""
    names = {name.lower(): [c[0].lower() for c in columns] for name, columns in before.items()}
    if isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() == "INDEX":
        return True
    if isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() == "TABLE":
        return all(t.name.lower() not in names for t in tree.find_all(exp.Table))
    if isinstance(tree, exp.Alter) and isinstance(tree.this, exp.Table):
        had = names.get(tree.this.name.lower(), [])
        drops = [a for a in tree.args.get("actions") or [] if isinstance(a, exp.Drop)]
        return bool(drops) and all(c.name.lower() not in had for a in drops for c in a.args.get("tables") or [])
    return False


def _unknown_references(tree: exp.Expression, state: SchemaState) -> list[str]:
    """Tables and columns the statement names that neither the data model nor an earlier step has."""
    if isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() != "TABLE":
        return []  # it names an index or a constraint, which the schema model does not follow
    tables = {name.lower(): [c[0].lower() for c in columns] for name, columns in state.items()}
    unknown = {name.lower() for name in state.unknown}
    created = tree.this.this if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Schema) else \
        tree.this if isinstance(tree, exp.Create) else None
    scope: dict[str, str | None] = {cte.alias.lower(): None for cte in tree.find_all(exp.CTE)}
    scope |= {sub.alias.lower(): None for sub in tree.find_all(exp.Subquery) if sub.alias}
    reasons = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or (isinstance(table.parent, exp.Drop)
                                                          and table.parent is not tree):
            continue  # a table function, or a constraint or index an ALTER TABLE drops
        if table.db or table.catalog:  # a schema picks tables outside the data model (and the dry run's schema)
            reasons.append(f"table {table.sql()} is qualified with a schema or database; write table names "
                           "unqualified: the plan runs on the target's own tables")
            continue
        name = table.name.lower()
        if table is created:
            scope[name] = None
            continue
        if name in scope and scope[name] is None and table.alias_or_name.lower() == name:
            continue  # a CTE
        if name not in tables and name not in unknown:
            reasons.append(f"table {table.name} is not in the data model and no earlier step creates it; "
                           f"use one of: {', '.join(sorted(tables)) or 'none'}")
        scope[table.alias_or_name.lower()] = name if name in tables else None
    if isinstance(tree, exp.Insert) and isinstance(tree.this, exp.Schema) and tree.this.this is not None:
        target = tree.this.this.name.lower()
        scope["excluded"] = scope.get(target)
        reasons += [_no_column(ident.name, target, tables[target]) for ident in tree.this.expressions
                    if target in tables and ident.name.lower() not in tables[target]]
    named = {alias.alias.lower() for alias in tree.find_all(exp.Alias)}
    renamed = {id(rename.args["to"]) for rename in tree.find_all(exp.RenameColumn)}
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star) or id(column) in renamed:
            continue
        name, qualifier = column.name.lower(), column.table.lower()
        if qualifier:
            target = scope.get(qualifier)
            if target is not None and name not in tables[target]:
                reasons.append(_no_column(column.name, target, tables[target]))
            continue
        candidates = list(scope.values())
        if name in named or not candidates or None in candidates:
            continue  # a select alias, or a table whose columns are not known
        if not any(name in tables[t] for t in candidates if t is not None):
            reasons.append(_no_column(column.name, " or ".join(sorted({t for t in candidates if t})),
                                      sorted({c for t in candidates if t for c in tables[t]})))
    return list(dict.fromkeys(reasons))


def _no_column(column: str, table: str, columns: list[str]) -> str:
    return (f"column {column} is not in {table} (in the data model or after the earlier steps); "
            f"use one of: {', '.join(columns)}, or add it in an earlier `sql` step")


def _first_words(node: exp.Expr, count: int = 3) -> str:
    """The start of a node's SQL, to name it in a reason."""
    words = node.sql().split()
    return " ".join(words[:count]) + (" ..." if len(words) > count else "")
