"""The Python API: what the CLI and the tests call. Each function is one user action.

    from dbbasic import api
    result = api.plan(Path("."))            # compile specs/ into generated/
    api.approve(Path("."), ["schema"], by="ana")
    api.apply(Path("."), target="dev")      # run approved plans on the dev target
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

from dbbasic.errors import PlanError, PlannerError, Problem, SpecError, StalePlan, TargetError, UnapprovedPlan
from dbbasic.generators.explicit import compile_explicit
from dbbasic.generators.imports import SourceFile, compile_import, read_source
from dbbasic.generators.model_diff import NAME as MODEL_DIFF
from dbbasic.generators.model_diff import check_change, compile_model_change
from dbbasic.generators.model_plans import compile_model_plans, model_versions
from dbbasic.generators.move import compile_move
from dbbasic.generators.patterns import check_common_migrations, compile_pattern
from dbbasic.generators.scaling.conversion import NEW, OLD
from dbbasic.generators.scaling.plans import compile_scaling, metric_sql
from dbbasic.generators.scaling.tiers import read_tiers
from dbbasic.generators.schema import NAME as SCHEMA_GENERATOR
from dbbasic.plan import artifacts, review
from dbbasic.plan.fingerprint import fingerprint_plans
from dbbasic.plan.lint import lint_context, lint_plan, rewrite_on_large_table
from dbbasic.plan.model import CaptureStep, CutoverStep, DdlStep, GateStep, ImportStep, OnlineDdlStep, Plan
from dbbasic.planner.cache import CachedAnswer
from dbbasic.planner.client import resolve_config
from dbbasic.planner.propose import (
    Mode,
    Question,
    compile_answer,
    import_question,
    import_rules,
    made_by,
    migration_question,
    planner_rules,
)
from dbbasic.planner.propose import answer as planner_answer
from dbbasic.runner import history, metrics, replay
from dbbasic.runner.apply import RunOptions, StepResult, apply_plan, live_records, plan_state
from dbbasic.runner.connect import Database, ResolvedTarget, connect, holder_info, resolve_target
from dbbasic.runner.ddl import Timeouts
from dbbasic.runner.events import Emit, Event, ignore
from dbbasic.runner.imports import ImportFiles, ImportPreview, preview_import
from dbbasic.runner.introspect import describe_difference, live_fingerprint, table_rows
from dbbasic.runner.maintain import Done, maintain_table
from dbbasic.runner.read_model import LiveModel, is_opaque, read_model
from dbbasic.runner.rollback import rollback_plan
from dbbasic.runner.scaling import measured
from dbbasic.runner.sqlite_schema import read_sqlite_schema
from dbbasic.specs.loader import Document, load_file
from dbbasic.specs.model import DataModel, ImportTask, Migration, Source, Specs, Table
from dbbasic.specs.validate import validate as validate_documents
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.partitions import parse_partition_set

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class Validation:
    specs: Specs | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.specs is not None and not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def spec_files(root: Path) -> list[Path]:
    specs = root / "specs"
    return sorted(p for p in specs.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()) if specs.is_dir() else []


def validate(root: Path, *, compile_check: bool = True) -> Validation:
    """Load and validate every spec under `root/specs`; all problems, located, at once. With
    `compile_check`, also what only compiling finds (the commands that compile anyway skip it)."""
    files = spec_files(root)
    if not files:
        problem = Problem("specs", 1, 1, "error", "no-specs", f"no *.yaml files under {root / 'specs'}",
                          "create specs/data.yaml, or pass --project DIR pointing at a project")
        return Validation(None, [problem])
    documents: list[Document] = []
    problems: list[Problem] = []
    for path in files:
        doc, found = load_file(path, root)
        problems += found
        if doc is not None:
            documents.append(doc)
    if any(p.level == "error" for p in problems):
        return Validation(None, sorted(problems))
    specs, found = validate_documents(documents, root)
    if specs is not None and compile_check:
        try:  # what only compiling finds: a model change without `drop: true`, a pattern's parameters
            compiled = _compile(root, specs, "optional")
        except SpecError as exc:
            return Validation(None, sorted(problems + found + exc.problems))
        found += [p for p in compiled.problems if p.code in ("needs-planner", "move-unplanned")]
    return Validation(specs, sorted(problems + found))


def _require_specs(root: Path) -> tuple[Specs, list[Problem]]:
    result = validate(root, compile_check=False)  # the caller compiles, which raises what compiling finds
    if not result.ok or result.specs is None:
        raise SpecError(result.problems)
    return result.specs, result.problems


@dataclass
class Compiled:
    plans: list[Plan]
    """Every plan in every dialect, in apply order (data model first, then migrations by id)."""
    problems: list[Problem]
    """Warnings of validation, kinds not compiled yet, and lint errors as located problems."""
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The data model's versions to keep in generated/, by plan id."""


def compile_specs(specs: Specs, snapshots: list[dict[str, Any]] | None = None,
                  root: Path | None = None, answers: Mapping[str, CachedAnswer] | None = None,
                  sources: Mapping[str, SourceFile] | None = None, moves: Mapping[str, Plan] | None = None
                  ) -> Compiled:
    """Compile validated specs into linted plans; `snapshots` are the data model's recorded versions
    (generated/schema/**/model.json), oldest first; `root`, the project directory, is where imports read
    their sources (without it, imports are not compiled); `answers`, the LLM planner's accepted answers by
    plan id, compile the `specification:` migrations (those without one are left out); `sources`, import
    sources already read, by plan id (the others are read here, once for every dialect); `moves`, the plans of
    `move:` migrations, made from their source database when it was read (`dbbasic plan`). Raises SpecError when
    a change of the data model, a pattern, an import or a cached answer cannot be compiled (a field gone
    without `drop: true`, ...)."""
    plans: list[Plan] = []
    models, kept, problems = model_versions(specs.data, snapshots or [])
    if any(p.level == "error" for p in problems):
        raise SpecError(problems)
    pattern_problems: list[Problem] = []
    indexed = specs.data.indexed_columns()
    # Migrations and imports apply in the order they are written: by file, then by place in the file.
    tasks: list[Migration | ImportTask] = sorted([*specs.migrations, *(specs.imports if root is not None else ())],
                                                 key=lambda t: (t.source.file, t.source.line))
    sources = dict(sources or {})
    for name in specs.project.dialects:
        dialect = Dialect.get(name)
        # The data model's plans acknowledge their own drops: each was confirmed with `drop: true`.
        for model, model_plan in zip(models, compile_model_plans(models, dialect), strict=True):
            # Drops were confirmed with `drop: true`; other rules by the tables' `lint: {ignore: ...}`.
            ignore = {code: reason for table in model.tables for code, reason in table.lint_ignore.items()}
            plans.append(lint_plan(model_plan, allow_destructive=True, ignore=ignore, indexed=indexed))
        for task in tasks:
            try:
                if isinstance(task, ImportTask):
                    assert root is not None
                    if task.id not in sources:
                        sources[task.id] = read_source(task, root)
                    cached = (answers or {}).get(task.id)
                    planned = (import_rules(task, cached, specs.data, sources[task.id].format.columns)
                               if cached is not None else None)
                    made = made_by(cached, "rules", "none needed: the rules are the library's own code", []) \
                        if cached is not None else None
                    plans.append(lint_plan(compile_import(task, specs.data, dialect, sources[task.id], planned,
                                                          made), indexed=indexed))
                    continue
                if task.kind == "move":
                    moved = (moves or {}).get(task.id)
                    if moved is not None and moved.dialect == dialect.name:
                        plans.append(lint_plan(moved, task.allow_destructive, task.lint_ignore, indexed=indexed))
                    continue
                answer = (answers or {}).get(task.id)
                plan: Plan | None = (compile_explicit(task, dialect) if task.kind == "steps"
                        else compile_pattern(task, specs.data, dialect) if task.kind == "pattern"
                        else compile_answer(task, answer, specs.data, dialect) if answer is not None
                        else None)
            except SpecError as exc:  # one bad pattern should not hide the next: report them together
                pattern_problems += [p for p in exc.problems if p not in pattern_problems]
                continue
            if plan is not None:
                plans.append(lint_plan(plan, task.allow_destructive, task.lint_ignore, indexed=indexed))
        if specs.scaling is not None:
            try:  # after every migration: a tier's plan applies once the target has grown into it
                tiered, waiting = compile_scaling(specs.scaling, specs.data, dialect)
                # Their one drop (a conversion's old table) waits behind a person's confirmation (contract-ready).
                plans += [lint_plan(p, allow_destructive=True, indexed=indexed) for p in tiered]
                problems += [p for p in waiting if p not in problems]
            except SpecError as exc:
                pattern_problems += [p for p in exc.problems if p not in pattern_problems]
    pattern_problems += [p for p in check_common_migrations(specs.common_migrations) if p not in pattern_problems]
    if pattern_problems:
        raise SpecError(pattern_problems)
    for task in specs.imports if root is None else ():
        problems.append(Problem(task.source.file, task.source.line, 1, "warning", "not-compiled",
                                f"import '{task.name}' validates; imports compile with the project directory"))
    for plan in plans:
        problems += [Problem(plan.source.file, plan.source.line, 1, "error", f.rule,
                             f"plan {plan.id} ({plan.dialect}), step {f.step}: {f.message}", f.help)
                     for f in plan.findings if f.level == "error"]
    order = {pid: i for i, pid in enumerate(dict.fromkeys(p.id for p in plans))}
    plans = [p for name in specs.project.dialects
             for p in fingerprint_plans(sorted((p for p in plans if p.dialect == name), key=lambda p: order[p.id]))]
    plans.sort(key=lambda p: (order[p.id], p.dialect))
    return Compiled(plans, problems, kept)


def _compile(root: Path, specs: Specs, planner: Mode = "cache", replan: bool = False) -> Compiled:
    """Compile the project; `planner` says whether the LLM planner's tasks may ask the model (`ask`), must have
    a cached answer (`cache`) or are left out with a warning when they have none (`optional`). An import's
    rules that nothing understands, with no answer and no model, are the import's own error (which lists the
    phrasings that are understood), not the planner's."""
    generated = root / "generated"
    answers: dict[str, CachedAnswer] = {}
    problems: list[Problem] = []
    can_ask = planner == "ask" and resolve_config(specs.project.llm) is not None
    if replan and not can_ask:
        raise PlannerError("--replan asks the model again, and no model is configured",
                           hint="set DBBASIC_LLM_MODEL (with OPENAI_API_KEY or OPENAI_BASE_URL), or `project: llm:`; "
                                "see docs/planner.md")
    sources: dict[str, SourceFile] = {}
    for question, mode in _planner_questions(root, specs, sources, planner, "ask" if can_ask else "optional"):
        try:
            found = planner_answer(question, specs.project, generated, mode=mode, replan=replan)
        except SpecError as exc:
            problems += exc.problems
            continue
        if found is not None:
            answers[question.plan_id] = found
        else:
            problems.append(Problem(question.source.file, question.source.line, 1, "warning", "needs-planner",
                                    f"{question.what} has free text: `dbbasic plan` asks the LLM planner for it "
                                    "(no cached answer fits it)", "see docs/planner.md"))
    if any(p.level == "error" for p in problems):
        raise SpecError(problems)
    moves = _moves(root, specs, planner, reread=planner == "ask" and replan, problems=problems)
    compiled = compile_specs(specs, artifacts.read_snapshots(generated), root, answers, sources, moves)
    compiled.problems += problems
    return compiled


def _moves(root: Path, specs: Specs, mode: Mode, reread: bool, problems: list[Problem]) -> dict[str, Plan]:
    """The plan of each `move:` migration. It is made from the source database as it is when `dbbasic plan`
    reads it, then kept: every other command (and `plan` itself, until the spec changes or `--replan`) takes
    the plan in generated/, so that what the application writes to the source meanwhile changes nothing. A
    move not planned yet is an error, or a warning in `optional` mode (validate), added to `problems`."""
    moves: dict[str, Plan] = {}
    errors: list[Problem] = []
    for migration in (m for m in specs.migrations if m.kind == "move"):
        destination = _dialect_of(specs, migration.options["move"]["to"])
        origin = _dialect_of(specs, migration.options["move"]["from"])
        if (origin.name, destination.name) != ("sqlite", "postgres") or "postgres" not in specs.project.dialects:
            errors.append(Problem(migration.source.file, migration.source.line, 1, "error", "move",
                                    f"migration '{migration.id}' moves {origin.name} to {destination.name}; this "
                                    "version moves SQLite to PostgreSQL, with postgres among project.dialects",
                                    "point `from` at a SQLite target and `to` at a PostgreSQL one"))
            continue
        made = None
        with contextlib.suppress(PlanError):  # none yet, or edited by hand: made again, or an error below
            made = artifacts.read_plan(root / "generated", migration.id, destination.name)
        if made is not None and made.source.sha256 == migration.source.sha256 and not reread:
            moves[migration.id] = made
        elif mode == "ask":
            source = connect(resolve_target(specs.project, migration.options["move"]["from"], root), root,
                             must_exist=True)
            try:
                moves[migration.id] = compile_move(migration, read_sqlite_schema(source), destination)
            except SpecError as exc:
                errors += exc.problems
            finally:
                source.close()
        else:
            unplanned = Problem(migration.source.file, migration.source.line, 1,
                                "warning" if mode == "optional" else "error", "move-unplanned",
                                f"migration '{migration.id}' is planned from its source database, and generated/ "
                                "has no plan of it for this spec",
                                "run `dbbasic plan` where the source can be read, review, commit")
            (problems if mode == "optional" else errors).append(unplanned)
    if errors:
        raise SpecError(errors)
    return moves


def _dialect_of(specs: Specs, target: str) -> Dialect:
    """A target's dialect as the spec says it (its URL is not resolved: a `${VAR}` may be unset here)."""
    known = specs.project.target(target)
    name = known.dialect if known is not None else getattr(Dialect.for_url(target), "name", None)
    if name is None:
        raise TargetError(f"the dialect of target {target} is unknown until its URL is read; say it in the "
                          "spec: `{url: ${VAR}, dialect: postgres}`")
    return Dialect.get(name)


def _planner_questions(root: Path, specs: Specs, sources: dict[str, SourceFile], migration_mode: Mode,
                       import_mode: Mode) -> Iterator[tuple[Question, Mode]]:
    """The tasks of the project that the LLM planner answers, each with how it may be answered; the import
    sources they read are kept in `sources`, for compiling."""
    for migration in specs.migrations:
        if migration.kind == "specification":
            yield migration_question(migration, specs), migration_mode
    for task in specs.imports:
        asked, quirks = planner_rules(task, specs.data)
        if asked or quirks:
            sources[task.id] = read_source(task, root)
            yield import_question(task, specs, sources[task.id].format, asked, quirks), import_mode


@dataclass
class PlanResult:
    plans: list[Plan]
    changes: list[artifacts.Change] = field(default_factory=list)
    stale: list[artifacts.Stale] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def plan(root: Path, check: bool = False, replan: bool = False) -> PlanResult:
    """Compile specs/ into generated/ (or, with check, only say what differs). Free-text migrations use the
    planner's cached answer, or ask the model (not with `check`); `replan` asks again. Raises SpecError,
    PlannerError."""
    specs, warnings = _require_specs(root)
    compiled = _compile(root, specs, "cache" if check else "ask", replan=replan and not check)
    generated = root / "generated"
    result = PlanResult(compiled.plans, problems=warnings + compiled.problems)
    if check:
        result.stale = (artifacts.stale_plans(generated, compiled.plans)
                        + artifacts.stale_snapshots(generated, compiled.snapshots))
    else:
        result.changes = (artifacts.write_plans(generated, compiled.plans)
                          + artifacts.write_snapshots(generated, compiled.snapshots))
    return result


def _select(plans: list[Plan], plan_ids: Iterable[str]) -> list[Plan]:
    wanted = list(plan_ids)
    known = {p.id for p in plans}
    unknown = [pid for pid in wanted if pid not in known]
    if unknown:
        raise PlanError(f"no plan named {', '.join(unknown)}; plans: {', '.join(sorted(known)) or 'none'}",
                        unknown[0], "`dbbasic plan` lists the plans it compiles")
    return [p for p in plans if not wanted or p.id in wanted]


@dataclass
class PlanDiff:
    plan: Plan
    approved: bool
    changes: list[review.StepChange]


def diff(root: Path, plan_ids: Iterable[str] = ()) -> list[PlanDiff]:
    """What each plan changes against its approved version, step by step."""
    specs, _ = _require_specs(root)
    generated = root / "generated"
    result = []
    for plan in _select(_compile(root, specs).plans, plan_ids):
        approval = review.read_approval(generated, plan.id)
        approved = approval is not None and approval.approves(plan)
        result.append(PlanDiff(plan, approved, [] if approved else review.diff_plan(plan, approval)))
    return result


FROM_DB_PLAN = "from-db"


@dataclass
class DatabaseDiff:
    """What a live database lacks to be the data model: a report, never written to generated/."""

    target: str
    dialect: str
    plan: Plan
    """The steps that would bring the database to the data model (none when it matches)."""
    problems: list[Problem]
    """Warnings of validation, then what the database has that the data model lacks or cannot say (errors)."""

    @property
    def matches(self) -> bool:
        return not self.plan.steps and not any(p.level == "error" for p in self.problems)


def diff_from_db(root: Path, target: str) -> DatabaseDiff:
    """Compare the data model with what `target` has now (read from its catalog): the plan that would
    bring it there, and what it has that the model lacks. Writes nothing, to the database or to generated/:
    the answer depends on a live database, so it is a report to read, not a plan to commit and approve."""
    specs, warnings = _require_specs(root)
    model = specs.data
    resolved = resolve_target(specs.project, target, root)
    migrations = [p for p in _compile(root, specs).plans
                  if p.dialect == resolved.dialect.name and p.generator not in (SCHEMA_GENERATOR, MODEL_DIFF)]
    db = connect(resolved, root, must_exist=True)
    try:
        live = _partitioned_as_modelled(read_model(db, like=model), model, specs)
        sizes = table_rows(db, [t.name for t in live.model.tables])
    finally:
        db.close()
    source = model.source or Source("specs", 1, "")
    old, new, drift = _drift_basis(live, model, source, _made_by(migrations, resolved.dialect))
    drift += check_change(old, new)
    plan = compile_model_change(old, new, FROM_DB_PLAN, resolved.dialect, source)
    plan = replace(plan, task=f"Bring {resolved.display} to the data model: {plan.task[0].lower()}{plan.task[1:]}")
    ignore = {code: reason for table in model.tables for code, reason in table.lint_ignore.items()}
    plan = lint_plan(plan, allow_destructive=True, ignore=ignore, indexed=model.indexed_columns(), table_rows=sizes)
    return DatabaseDiff(resolved.display, resolved.dialect.name, plan, warnings + sorted(drift))


def _partitioned_as_modelled(live: LiveModel, model: DataModel, specs: Specs) -> LiveModel:
    """The live model as `partitioning:` means it: the tables its plan makes beside the model's (the archive,
    the conversion's `__new` and `__old`) are its own, as `dbbasic_` tables are, and a partitioned table's
    primary key is the model's with the partition column the conversion added (so its key's default is the
    model's too)."""
    sets = [parse_partition_set(name, set_name, spec)
            for name, table_sets in ((specs.scaling.options.get("partitioning") or {}) if specs.scaling else {}).items()
            for set_name, spec in table_sets.items()]
    own = {p.parent for p in sets if p.name == "archive"} | {f"{p.table}{s}" for p in sets if p.name == "active"
                                                             for s in (NEW, OLD)}
    extended = {p.table: p.column for p in sets if p.name == "active"}
    tables = []
    for table in live.model.tables:
        wanted = model.table(table.name)
        if table.name in own:
            continue
        if wanted and table.name in extended and table.primary_key == (*wanted.primary_key, extended[table.name]):
            table = replace(table, primary_key=wanted.primary_key)
        tables.append(table)
    keys = {t.name: set(t.primary_key) for t in model.tables if t.name in extended}
    unexpressed = tuple(u for u in live.unexpressed if u.table not in own
                        and not (u.column in keys.get(u.table, set()) and u.what.startswith("default")))
    return LiveModel(replace(live.model, tables=tuple(tables)), unexpressed)


def _made_by(migrations: list[Plan], dialect: Dialect) -> tuple[set[tuple[str, str]], set[str]]:
    """The (table, column) pairs the migrations leave and the indexes they create: theirs, not drift."""
    columns = {(table, c[0]) for plan in migrations for table, found in plan.leaves.items() for c in found or []}
    indexes = set()
    for plan in migrations:
        for step in plan.steps:
            for statement in step.up if isinstance(step, (DdlStep, OnlineDdlStep)) else ():
                tree = dialect.parse(statement)
                if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index):
                    indexes.add(tree.this.name)
    return columns, indexes


def _drift_basis(live: LiveModel, model: DataModel, source: Source, made: tuple[set[tuple[str, str]], set[str]]
                 ) -> tuple[DataModel, DataModel, list[Problem]]:
    """The two models to compile the difference from, and what the database has that the model lacks.

    A table or column the model lacks (and does not drop with `drop: true` or rename with `renamed_from`)
    is reported and kept as it is on both sides: dbbasic drops only what a spec confirms. What the
    project's migrations make (columns, tables, indexes beside `data:`) is kept and not reported. A column
    of a type dbbasic does not write is reported and taken as the model has it (or left out), since no
    plan can say its type."""
    made_columns, made_indexes = made
    made_tables = {table for table, _ in made_columns}
    problems = []

    def problem(table: Table | None, message: str, hint: str, code: str = "not-in-data-model") -> None:
        problems.append(Problem(source.file, table.line if table and table.line else source.line, 1, "error",
                                code, message, hint))

    old_tables, extra_tables = [], []
    kept = {t.renamed_from: t for t in model.tables if t.renamed_from and live.model.table(t.name) is None}
    wanted = {t.name: t for t in model.tables}
    new_fields: dict[str, list[Any]] = {t.name: list(t.fields) for t in model.tables}
    new_indexes = {t.name: t.indexes for t in model.tables}
    for table in live.model.tables:
        spec = wanted.get(table.name) or kept.get(table.name)
        extra = spec is None and table.name not in model.dropped_tables
        if extra and table.name not in made_tables:
            problem(None, f"table '{table.name}' is in the database and not in the data model",
                    "describe it under `data:` if dbbasic should manage it; until then dbbasic leaves it alone")
        fields = []
        for column in table.fields:
            own = spec.field(column.name) if spec else None
            renamed = spec is not None and any(f.renamed_from == column.name and table.field(f.name) is None
                                               for f in spec.fields)
            if is_opaque(column.type):
                if own is not None:
                    fields.append(own)  # reported with the database's type; no plan can change it
                continue
            fields.append(column)
            if spec is None or own is not None or renamed or column.name in spec.dropped_fields:
                continue
            new_fields[spec.name].append(column)
            if (table.name, column.name) not in made_columns:
                problem(spec, f"column '{table.name}.{column.name}' is in the database and not in the data model",
                        f"add `{column.name}` to the fields of '{spec.name}', or `{column.name}: {{drop: true}}` "
                        "to drop it; until then dbbasic leaves it alone")
        read = replace(table, fields=tuple(fields))
        old_tables.append(read)
        if extra:
            extra_tables.append(read)
        elif spec is not None:
            new_indexes[spec.name] = spec.indexes + tuple(
                i for i in table.indexes if i.name in made_indexes and i not in spec.indexes)
    for item in live.unexpressed:
        where = f"{item.table}.{item.column}" if item.column else f"table '{item.table}'"
        problem(wanted.get(item.table), f"{where} has {item.what}: the data model cannot say that",
                "dbbasic leaves it as it is; change it with an explicit migration if it should go", "not-expressible")
    new = replace(model, tables=tuple(replace(t, fields=tuple(new_fields[t.name]), indexes=new_indexes[t.name])
                                      for t in model.tables) + tuple(extra_tables))
    return DataModel(tuple(old_tables), source), new, problems


def approve(root: Path, plan_ids: Iterable[str], by: str, now: datetime | None = None) -> list[review.Approval]:
    """Approve plans as they are in generated/ (which must be what the specs compile to)."""
    specs, _ = _require_specs(root)
    compiled = _compile(root, specs)
    selected = _select(compiled.plans, plan_ids)
    generated = root / "generated"
    _refuse_stale(generated, selected)
    approvals = []
    for plan_id in dict.fromkeys(p.id for p in selected):
        plans = [artifacts.read_plan(generated, plan_id, p.dialect) for p in compiled.plans if p.id == plan_id]
        approvals.append(review.approve(generated, plans, by, now or datetime.now(UTC)))
    return approvals


def _refuse_stale(generated: Path, plans: list[Plan]) -> None:
    stale = [s for s in artifacts.stale_plans(generated, plans) if s.reason != "its spec is gone"]
    if stale:
        names = "; ".join(f"{s.plan_id} ({s.dialect}): {s.reason}" for s in stale)
        raise StalePlan(f"generated/ is not what the specs compile to: {names}", stale[0].plan_id,
                        "run `dbbasic plan`, review the change, commit it")


@dataclass
class ApplyResult:
    target: str
    dialect: str
    steps: list[StepResult]
    previews: list[ImportPreview] = field(default_factory=list)
    """With `dry_run`: what each pending import would do, read from its file."""


def apply(root: Path, target: str, plan_ids: Iterable[str] = (), *, dry_run: bool = False,
          require_approval: bool = True, lock_wait: float = 60.0, confirm: Iterable[str] = (),
          timeouts: Timeouts | None = None, emit: Emit = ignore, force: bool = False,
          preview_rows: int = 5) -> ApplyResult:
    """Apply pending plans to `target` in order; refuse stale, hand-edited or unapproved plans first. A dry
    run also previews each pending import: its first `preview_rows` records and its rules' counts."""
    specs, _ = _require_specs(root)
    resolved = resolve_target(specs.project, target, root)
    plans = _plans_for(root, specs, resolved, plan_ids)
    files = ImportFiles(root, import_reports(root, resolved))
    options = RunOptions(dry_run, frozenset(confirm), timeouts or Timeouts(), emit, _opener(root, specs), files)
    with _locked(resolved, root, lock_wait, plans, emit) as db:
        records = history.records(db)
        pending = [p for p in plans if plan_state(p, records) != "applied"]
        _refuse_unready(root / "generated", pending, require_approval, records)
        if pending and not dry_run:
            history.ensure(db)  # only now: a refused or dry run leaves the database as it was
        steps: list[StepResult] = []
        for n, plan in enumerate(pending):
            # A plan resumed half-way finds a schema half-way; in a dry run, the plans before this one did not
            # really run, so only the first finds the schema it expects.
            if plan_state(plan, records) == "pending" and not (dry_run and n):
                _check_schema(db, plan, plan.expects, force, emit, "expects")
            _check_table_sizes(db, plan, force)
            steps += apply_plan(db, plan, options)
            if steps and steps[-1].status == "waiting":  # a tier not reached: the tiers above wait too
                break
            if not dry_run:
                _check_schema(db, plan, plan.leaves, True, emit, "leaves")
        previews = [preview_import(plan, step, files, preview_rows) for plan in pending if dry_run
                    for step in plan.steps if isinstance(step, ImportStep)]
        return ApplyResult(resolved.display, resolved.dialect.name, steps, previews)


def _opener(root: Path, specs: Specs) -> Callable[[str], Database]:
    """Connects to another target by name (a copy's or a move's source), which must exist already."""
    return lambda name: connect(resolve_target(specs.project, name, root), root, must_exist=True)


def import_reports(root: Path, target: ResolvedTarget) -> Path:
    """Where imports into `target` write their rejects and notes: `var/imports/<target>/` (a URL given as the
    target gets a digest of it, which keeps its password out of the path)."""
    name = target.name if target.name != target.url else "url-" + hashlib.sha256(target.url.encode()).hexdigest()[:12]
    return root / "var" / "imports" / name


def _check_table_sizes(db: Database, plan: Plan, force: bool) -> None:
    """The linter's size rule, now that the target's table sizes are known: a statement that holds a
    whole large table is refused here, though it compiled without the sizes (unless silenced, or --force)."""
    if force or any(f.rule == rewrite_on_large_table.CODE and f.level == "info" for f in plan.findings):
        return
    sizes = table_rows(db, plan.expects)
    if not sizes:
        return
    context = lint_context(plan, allow_destructive=True, table_rows=sizes)
    found = [f for step in plan.steps for f in rewrite_on_large_table.check(step, context) if f.level == "error"]
    if found:
        raise PlanError(f"plan {plan.id}, step {found[0].step}: {found[0].message}", plan.id,
                        f"{found[0].help} (`lint: {{ignore: {{{rewrite_on_large_table.CODE}: ...}}}}`, or --force)")


def _check_schema(db: Database, plan: Plan, expected: dict[str, Any], force: bool, emit: Emit, what: str) -> None:
    """Compare the live tables with a plan's fingerprint: refuse before it runs, warn after."""
    differences = describe_difference(expected, live_fingerprint(db, expected)) if expected else []
    if not differences:
        return
    if what == "expects" and not force:
        raise PlanError(f"plan {plan.id}: the database is not in the state the plan was made for: "
                        + "; ".join(differences), plan.id,
                        "find out who changed it (a hand edit, a plan applied elsewhere); fix the specs to match, "
                        "or pass --force to apply anyway")
    emit(Event("warning", plan.id, message=f"the schema {'before' if what == 'expects' else 'after'} the plan "
               f"differs from its fingerprint ({'forced' if what == 'expects' else 'check the plan'}): "
               + "; ".join(differences)))


@contextlib.contextmanager
def _locked(target: ResolvedTarget, root: Path, lock_wait: float, plans: list[Plan], emit: Emit
            ) -> Iterator[Database]:
    """The target's database, with this process as its only runner until the block ends."""
    db = connect(target, root)
    try:
        emit(Event("lock_wait", ",".join(p.id for p in plans), message=f"taking the runner lock of {target.display}"))
        with db.lock(lock_wait, holder_info(",".join(p.id for p in plans))):
            yield db
    finally:
        db.close()


@dataclass
class RollbackResult:
    target: str
    plan_id: str
    steps: list[StepResult]


def rollback(root: Path, plan_id: str, target: str, *, dry_run: bool = False, require_approval: bool = True,
             lock_wait: float = 60.0, timeouts: Timeouts | None = None, emit: Emit = ignore) -> RollbackResult:
    """Undo the applied steps of one plan, last first, with their reviewed `down` SQL."""
    specs, _ = _require_specs(root)
    resolved = resolve_target(specs.project, target, root)
    [plan] = _plans_for(root, specs, resolved, [plan_id])
    with _locked(resolved, root, lock_wait, [plan], emit) as db:
        records = history.records(db)
        if require_approval:
            _refuse_unapproved(root / "generated", plan)
        steps = rollback_plan(db, plan, records, dry_run=dry_run, timeouts=timeouts or Timeouts(), emit=emit,
                              open_source=_opener(root, specs))
        return RollbackResult(resolved.display, plan.id, steps)


def _plans_for(root: Path, specs: Specs, target: ResolvedTarget, plan_ids: Iterable[str]) -> list[Plan]:
    dialect = target.dialect.name
    if dialect not in specs.project.dialects:
        raise PlanError(f"target {target.display} is {dialect}, and this project compiles plans for "
                        f"{', '.join(specs.project.dialects)} only", None,
                        f"add {dialect} to `dialects:` in the project spec, then run `dbbasic plan`")
    compiled = [p for p in _compile(root, specs).plans if p.dialect == dialect]
    selected = _select(compiled, plan_ids)
    generated = root / "generated"
    _refuse_stale(generated, selected)
    return [artifacts.read_plan(generated, p.id, dialect) for p in selected]


def _refuse_unready(generated: Path, plans: list[Plan], require_approval: bool,
                    records: list[history.StepRecord]) -> None:
    for plan in plans:
        if plan_state(plan, records) == "drifted":
            hint = "undo the spec edit, and write the change as a new migration"
            if plan.generator == SCHEMA_GENERATOR:
                hint = ("the data model's plans are compiled from generated/schema/**/model.json: restore those "
                        "from version control; a change of `data:` becomes a new plan, it never edits an old one")
            raise PlanError(f"plan {plan.id} was applied to this database as another version; it cannot change now",
                            plan.id, hint)
        errors = [f for f in plan.findings if f.level == "error"]
        if errors:
            raise PlanError(f"plan {plan.id} has lint errors: {errors[0].rule} in step {errors[0].step}: "
                            f"{errors[0].message}", plan.id, errors[0].help)
        if require_approval:
            _refuse_unapproved(generated, plan)


def _refuse_unapproved(generated: Path, plan: Plan) -> None:
    approval = review.read_approval(generated, plan.id)
    if approval is None:
        raise UnapprovedPlan(f"plan {plan.id} ({plan.dialect}) is not approved", plan.id,
                             f"review it (`dbbasic diff {plan.id}`), then `dbbasic approve {plan.id} --by NAME`")
    if not approval.approves(plan):
        raise UnapprovedPlan(f"plan {plan.id} ({plan.dialect}) changed since it was approved by {approval.by} "
                             f"on {approval.at}: its hash is {plan.hash()}", plan.id,
                             f"review the change (`dbbasic diff {plan.id}`), then approve it again")


def _waits(db: Database, plan: Plan, records: list[history.StepRecord]) -> str | None:
    """Why a scaling tier's plan has not begun: its gate's metric is below the tier (else None)."""
    gate = plan.steps[0] if plan.steps else None
    if not isinstance(gate, GateStep) or plan_state(plan, records) != "pending":
        return None
    value = measured(db, gate.sql)
    if value is None or value >= gate.at_least:
        return None
    return f"{gate.metric} is {value:,g}; tier {gate.tier} starts at {gate.at_least:,g}"


def _lag(db: Database, plan: Plan, records: list[history.StepRecord], open_source: Callable[[str], Database]
         ) -> int | None:
    """The changes of a synced move's source not yet replayed here, while its change log runs (else None)."""
    mine = live_records(plan, records)
    capture = next((s for s in plan.steps if isinstance(s, CaptureStep)), None)
    cutover = next((s for s in plan.steps if isinstance(s, CutoverStep)), None)
    if capture is None or capture.id not in mine or (cutover is not None and cutover.id in mine
                                                     and mine[cutover.id].status == "applied"):
        return None
    source = open_source(capture.source)
    try:
        return replay.lag(source, capture.log, replay.position(db, plan.id))
    finally:
        source.close()


def maintain(root: Path, target: str, *, today: date | None = None, drop: bool = False,
             lock_wait: float = 60.0) -> list[Done]:
    """Partition upkeep on `target` for every `partitioning:` set with an archive: its future partitions made,
    the rows matching `move:` moved into it, its partitions past `retention` detached (dropped with `drop`)."""
    specs, _ = _require_specs(root)
    sets = (specs.scaling.options.get("partitioning") or {}) if specs.scaling is not None else {}
    if not sets:
        raise SpecError([Problem("specs", 1, 1, "error", "no-partitioning", "the project partitions no table",
                                 "write `partitioning:` in specs/scaling.yaml (docs/scaling.md)")])
    resolved = resolve_target(specs.project, target, root)
    if resolved.dialect.name != "postgres":
        raise TargetError(f"{resolved.display} is {resolved.dialect.name}: partitions are PostgreSQL's")
    done: list[Done] = []
    with _locked(resolved, root, lock_wait, [], ignore) as db:
        for table, table_sets in sets.items():
            parsed = [parse_partition_set(table, name, spec) for name, spec in table_sets.items()]
            archives = [p for p in parsed if p.name == "archive"]
            missing = [p.parent for p in archives if not db.query(db.dialect.TABLE_EXISTS, {"name": p.parent})]
            if missing:
                raise TargetError(f"{resolved.display} has no {', '.join(missing)} yet: apply scaling/partitioning "
                                  "first")
            done += maintain_table(db, table, archives, today=today, drop=drop)
    return done


@dataclass(frozen=True)
class ScaleStatus:
    target: str
    metric: str
    value: float
    tier: str
    range: str
    samples: int
    per_day: float | None
    """The metric's growth per day over every sample (least squares); None with one sample."""
    next_tier: str | None
    threshold: float | None
    """Where the next tier starts."""
    reaches: datetime | None
    """When the metric crosses `threshold` at `per_day`."""
    plans: list[tuple[str, str]]
    """Each tier's plan on the target, and its state."""


def scale_status(root: Path, target: str, now: datetime | None = None) -> ScaleStatus:
    """Sample the scaling metric on `target` (stored in `dbbasic_metrics`), and say which tier it is in, how
    fast it grows, and when it reaches the next tier."""
    specs, _ = _require_specs(root)
    if specs.scaling is None:
        raise SpecError([Problem("specs", 1, 1, "error", "no-scaling", "the project has no `scaling:` spec",
                                 "write specs/scaling.yaml (docs/scaling.md)")])
    tiers = read_tiers(specs.scaling.options)
    resolved = resolve_target(specs.project, target, root)
    plans = [p for p in _compile(root, specs).plans if p.dialect == resolved.dialect.name
             and p.id.startswith("scaling/")]
    db = connect(resolved, root, must_exist=True)
    try:
        sample = metrics.take(db, tiers.metric, metric_sql(tiers, resolved.dialect), now)
        found = metrics.samples(db, tiers.metric)
        records = history.records(db)
        states = [(p.id, "waiting" if _waits(db, p, records) else plan_state(p, records)) for p in plans]
    finally:
        db.close()
    tier = tiers.tier_for(sample.value)
    above = tiers.tiers[tiers.tiers.index(tier) + 1] if tier is not tiers.tiers[-1] else None
    per_day = metrics.growth_per_day(found)
    threshold = above.range.low if above else None
    return ScaleStatus(resolved.display, tiers.metric, sample.value, tier.name, tier.range.text, len(found), per_day,
                       above.name if above else None, threshold,
                       metrics.crossing(sample, per_day, threshold) if threshold is not None else None, states)


@dataclass
class PlanStatus:
    plan_id: str
    state: str  # applied, pending, waiting (a scaling tier not reached), partial, failed, drifted, unknown (in
    # history, not in specs)
    steps_applied: int
    steps: int
    error: str | None = None
    at_step: str | None = None
    """For a partial or failed plan: the step it stopped in."""
    checkpoint: str | None = None
    """That step's checkpoint (a batched step's last key done), where apply goes on."""
    rows: int = 0
    lag: int | None = None
    """For a synced move between its change log's start and its cutover: the source's changes not replayed yet."""
    waits: str | None = None
    """For a scaling tier's plan (state `waiting`): the metric now, and where the tier starts."""


def status(root: Path, target: str) -> tuple[str, list[PlanStatus]]:
    """The state of every plan on `target`, and the plans the database has that the specs no longer do."""
    specs, _ = _require_specs(root)
    resolved = resolve_target(specs.project, target, root)
    plans = [p for p in _compile(root, specs).plans if p.dialect == resolved.dialect.name]
    db = connect(resolved, root, must_exist=True)  # status writes nothing, and creates nothing
    try:
        records = history.records(db)
        lags = {p.id: _lag(db, p, records, _opener(root, specs)) for p in plans}
        waits = {p.id: _waits(db, p, records) for p in plans}
    finally:
        db.close()
    result = []
    for plan in plans:
        mine = live_records(plan, records)
        applied = sum(1 for s in plan.steps if s.id in mine and mine[s.id].status == "applied")
        current = next((mine[s.id] for s in plan.steps if s.id in mine and mine[s.id].status != "applied"), None)
        result.append(PlanStatus(plan.id, "waiting" if waits[plan.id] else plan_state(plan, records), applied,
                                 len(plan.steps), current.error if current else None,
                                 current.step_id if current else None, current.checkpoint if current else None,
                                 current.rows_touched if current else 0, lags[plan.id], waits[plan.id]))
    known = {p.id for p in plans}
    for plan_id in dict.fromkeys(r.plan_id for r in records if r.plan_id not in known):
        count = sum(1 for r in records if r.plan_id == plan_id)
        result.append(PlanStatus(plan_id, "unknown", count, count, "in the database's history, not in the specs"))
    return resolved.display, result
