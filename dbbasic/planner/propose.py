"""Planning a free-text task: the cached answer when its key still matches, else ask the model, guard the
answer, dry-run it, send refusals back with their reasons, and cache what is accepted.

    cached = answer(migration_question(migration, specs), specs.project, generated, mode="ask")
    plan = compile_answer(migration, cached, specs.data, Dialect.get("sqlite"))

Modes: `ask` may call the model (dbbasic plan); `cache` never does and fails on a missing answer (plan --check,
apply, approve, CI); `optional` never does and returns None (validate, which only warns).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dbbasic.errors import PlannerError, Problem, SpecError
from dbbasic.generators.imports import field_types, unrecognised_rules
from dbbasic.importers.source import SourceFormat
from dbbasic.plan.model import Plan, canonical
from dbbasic.planner.cache import CachedAnswer, cache_key, read_answer, write_answer
from dbbasic.planner.client import Client, LlmConfig, resolve_config
from dbbasic.planner.guard import answer_schema, check_answer
from dbbasic.planner.prompts import Prompt, import_prompt, migration_prompt
from dbbasic.planner.rule_guard import check_rules_answer, rules_answer_schema
from dbbasic.planner.scratch import SCRATCH_URL, dry_run
from dbbasic.specs.model import DataModel, ImportTask, Migration, Project, Source, Specs
from dbbasic.specs.snapshot import model_to_json, shape
from dbbasic.sql.dialect import Dialect

GENERATOR = "planner"
VERSION = 1
MAX_ANSWERS = 3
"""Answers asked per task: the first, and two more after refusals (each told every reason)."""

Mode = Literal["ask", "cache", "optional"]
ClientFactory = Callable[[LlmConfig], Client]
Check = Callable[[str, Mapping[str, str] | None], tuple[list[str], dict[str, str]]]
"""(answer text, the environment for a dry run or None for none) -> (why it is refused, dialect -> dry run)."""


@dataclass(frozen=True)
class Question:
    """One task for the model: its prompt, the JSON Schema of an answer, and how an answer is checked."""

    plan_id: str
    what: str
    """How messages name the task: "migration 'migrations/avatars'", "import 'crm'"."""
    source: Source
    prompt: Prompt
    schema: dict[str, Any]
    check: Check
    schema_digest: Callable[[str], str]
    """An answer -> the digest of the part of the data model it touches, which its cache key holds: a change
    of a table the answer does not touch leaves it valid."""


def migration_question(migration: Migration, specs: Specs) -> Question:
    """A `specification:` migration: steps, guarded and dry-run in every dialect the project compiles for."""
    def check(text: str, environ: Mapping[str, str] | None) -> tuple[list[str], dict[str, str]]:
        reasons, notes = [], {}
        for name in specs.project.dialects:
            found, notes[name] = _refusals(migration, text, specs.data, name, environ)
            reasons += [f"[{name}] {r}" if len(specs.project.dialects) > 1 else r for r in found]
        return reasons, notes
    def touched(text: str) -> str:
        # Tables named anywhere in the answer (a word of its text): more than it touches is only stricter.
        tables = tuple(t for t in specs.data.tables if re.search(rf"\b{re.escape(t.name)}\b", text))
        return "sha256:" + hashlib.sha256(canonical(shape(model_to_json(DataModel(tables)))).encode()).hexdigest()
    return Question(migration.id, f"migration '{migration.id}'", migration.source,
                    migration_prompt(migration, specs.data, specs.project.dialects), answer_schema(), check, touched)


def import_question(task: ImportTask, specs: Specs, fmt: SourceFormat, asked: list[str], quirks: list[str]
                    ) -> Question:
    """An import's rules that no recogniser understood, and the quirks it trusts the model with: translated
    into rules of the library (nothing to dry-run: the rules are the library's code)."""
    types = field_types(task, specs.data)

    def check(text: str, environ: Mapping[str, str] | None) -> tuple[list[str], dict[str, str]]:
        verdict = check_rules_answer(text, asked=asked, quirks=quirks, types=types, columns=fmt.columns)
        return list(verdict.reasons), {}
    prompt = import_prompt(task, specs.data, specs.project.dialects, fmt.describe(), fmt.columns, asked, quirks)
    return Question(task.id, f"import '{task.name}'", task.source, prompt, rules_answer_schema(), check,
                    lambda _: prompt.schema_sha256)  # the prompt shows only the target table and the columns


def answer(question: Question, project: Project, generated: Path, *, mode: Mode, replan: bool = False,
           environ: Mapping[str, str] | None = None, client: ClientFactory = Client) -> CachedAnswer | None:
    """The accepted answer of a task (see the module's docstring for `mode`). Only `ask` reads the model's
    settings from the environment: what other commands accept never depends on the machine they run on."""
    environ = os.environ if environ is None else environ
    cached = read_answer(generated, question.plan_id)
    config = resolve_config(project.llm, environ) if mode == "ask" else None
    model = config.model if config is not None else project.llm.model or (cached.model if cached else None)
    stale = _stale(cached, question, model) if cached is not None else "no answer is cached"
    if not stale and cached is not None and not replan:
        if mode != "ask":
            return cached  # compiling guards it again, as every read does
        refused, _ = question.check(cached.answer, environ)  # dbbasic plan also dry-runs it again
        if not refused:
            return cached
        stale = "the guard refuses the cached answer now: " + "; ".join(refused)
    if mode == "optional":
        return None
    if mode == "cache" or config is None:
        raise SpecError([_unplanned(question, stale if not replan else "--replan asks again", config is None)])
    return _ask(question, config, client(config), generated, environ)


def compile_answer(migration: Migration, cached: CachedAnswer, model: DataModel, dialect: Dialect) -> Plan:
    """The plan an accepted answer makes in `dialect`; SpecError when the guard refuses it (it is re-run on
    every read, so a cached answer never skips it)."""
    verdict = check_answer(cached.answer, model=model, dialect=dialect,
                           allow_destructive=migration.allow_destructive, plan_id=migration.id)
    if not verdict.accepted:
        raise SpecError([_refused(migration.source, f"migration '{migration.id}'", dialect.name, verdict.reasons)])
    made = made_by(cached, "steps", cached.dry_runs.get(dialect.name, "not dry-run"), list(verdict.destructive))
    return Plan(id=migration.id, task=migration.task, description=migration.description, dialect=dialect.name,
                source=migration.source, generator=GENERATOR, generator_version=VERSION, steps=verdict.steps,
                planner=made)


def import_rules(task: ImportTask, cached: CachedAnswer, model: DataModel, columns: tuple[str, ...]
                 ) -> dict[str, tuple[dict[str, Any], ...]]:
    """The rules an accepted import answer gives each rule text and quirk, guarded again; SpecError when the
    guard refuses it now."""
    asked, quirks = planner_rules(task, model)
    verdict = check_rules_answer(cached.answer, asked=asked, quirks=quirks, types=field_types(task, model),
                                 columns=columns)
    if not verdict.accepted:
        raise SpecError([_refused(task.source, f"import '{task.name}'", "", verdict.reasons)])
    return verdict.rules


def planner_rules(task: ImportTask, model: DataModel) -> tuple[list[str], list[str]]:
    """What of an import the planner answers: its rules no recogniser understands, and its source's quirks
    when the import trusts the model with them (`ai_handles:`)."""
    quirks = list(task.options["source"].get("quirks", [])) if task.options.get("ai_handles") else []
    return unrecognised_rules(task, model), quirks


def made_by(cached: CachedAnswer, scope: str, dry_run: str, destructive: list[str]) -> dict[str, Any]:
    """What a plan records of the planner's answer (`made_by.planner`), for plan.md."""
    return {"scope": scope, "model": cached.model, "profile": cached.profile, "prompt": cached.prompt,
            "prompt_version": cached.prompt_version, "key": cached.key, "attempts": cached.attempts,
            "dry_run": dry_run, "destructive": destructive}


def _ask(question: Question, config: LlmConfig, client: Client, generated: Path, environ: Mapping[str, str]
         ) -> CachedAnswer:
    asked = question.prompt
    messages = [dict(m) for m in asked.messages]
    text = ""
    reasons: list[str] = []
    for attempt in range(1, MAX_ANSWERS + 1):
        completion = client.complete(messages, question.schema, "dbbasic_" + asked.kind)
        text = completion.text
        reasons, notes = question.check(text, environ)
        if completion.finish_reason == "length":
            reasons.insert(0, "answer: it was cut off at the server's token limit; answer shorter")
        if not reasons:
            cached = CachedAnswer(question.plan_id, config.model, config.profile.name, asked.template,
                                  asked.version, asked.spec_sha256, question.schema_digest(text), text, attempt,
                                  completion.model, notes)
            write_answer(generated, cached)
            return cached
        messages += [{"role": "assistant", "content": text},
                     {"role": "user", "content": "The guard refused your answer:\n" + "\n".join(
                         f"- {r}" for r in reasons) + "\nAnswer again with the whole corrected JSON object."}]
    raise PlannerError(
        f"{question.what} ({question.source.file}:{question.source.line}): the guard refused all {MAX_ANSWERS} "
        f"answers of {config.model}. Its last answer:\n{text}\nwas refused because:\n"
        + "\n".join(f"- {r}" for r in reasons),
        hint="reword the spec (or write its steps or rules yourself), or try another model; nothing was cached")


def _refused(source: Source, what: str, dialect: str, reasons: tuple[str, ...]) -> Problem:
    return Problem(source.file, source.line, 1, "error", "planner-refused",
                   f"{what}: the guard refuses its cached answer{' for ' + dialect if dialect else ''}: "
                   + "; ".join(reasons), "run `dbbasic plan --replan` with a model configured")


def _refusals(migration: Migration, text: str, model: DataModel, dialect_name: str,
              environ: Mapping[str, str] | None) -> tuple[list[str], str]:
    """Why the guard refuses `text` in one dialect, then (with `environ`) what its dry run showed."""
    dialect = Dialect.get(dialect_name)
    verdict = check_answer(text, model=model, dialect=dialect, allow_destructive=migration.allow_destructive,
                           plan_id=migration.id)
    if not verdict.accepted or environ is None:
        return list(verdict.reasons), ""
    plan = Plan(id=migration.id, task=migration.task, dialect=dialect.name, source=migration.source,
                generator=GENERATOR, generator_version=VERSION, steps=verdict.steps)
    result = dry_run(plan, model, scratch_url=environ.get(SCRATCH_URL) or None)
    return list(result.reasons), result.note


def _stale(cached: CachedAnswer, question: Question, model: str | None) -> str:
    """Why the cached answer does not answer this question ('' when it does)."""
    asked = question.prompt
    schema = question.schema_digest(cached.answer)
    if model is not None and cache_key(model, asked.version, asked.spec_sha256, schema) == cached.key:
        return ""
    differ = [what for what, same in (("model", cached.model == model),
                                      ("prompt", cached.prompt_version == asked.version),
                                      ("spec", cached.spec_sha256 == asked.spec_sha256),
                                      ("schema of the tables it touches", cached.schema_sha256 == schema))
              if not same]
    return f"the cached answer is for another {', '.join(differ)}"


def _unplanned(question: Question, why: str, no_model: bool) -> Problem:
    how = ("configure a model: `project: llm: {model: ..., base_url: ...}` in the project spec, or "
           "DBBASIC_LLM_MODEL with OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server such as Ollama); "
           "see docs/planner.md" if no_model else "run `dbbasic plan` to ask the model and cache its answer")
    return Problem(question.source.file, question.source.line, 1, "error", "needs-planner",
                   f"{question.what} is free text for the LLM planner and {why}", how)


